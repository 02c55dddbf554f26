package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/kontakt/kontakt/store"
)

// ForgetStore is what the ForgetContact activities need from store.Store.
type ForgetStore interface {
	EraseContact(ctx context.Context, contactID string) ([]string, error)
	ErasurePendingDevices(ctx context.Context, contactID string) ([]string, error)
	CompleteErasure(ctx context.Context, contactID string, stragglers []string) error
}

// Forget holds the activities of the ForgetContact workflow. They take and return ids
// only: the workflow's history outlives the person.
type Forget struct {
	Store ForgetStore
}

// EraseContact erases the contact of a committed erasure request and returns the devices
// that held it (idempotent: a retry returns the same devices). An unknown request is a
// non-retryable ErrTypeNotFound.
func (f *Forget) EraseContact(ctx context.Context, contactID string) ([]string, error) {
	devices, err := f.Store.EraseContact(ctx, contactID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("activities: erase: no erasure request for contact %s", contactID), ErrTypeNotFound, err)
	}
	if err != nil {
		return nil, fmt.Errorf("activities: erase contact %s: %w", contactID, err)
	}
	return devices, nil
}

// ErasurePendingDevices lists the devices that have not yet synced past the removal.
func (f *Forget) ErasurePendingDevices(ctx context.Context, contactID string) ([]string, error) {
	devices, err := f.Store.ErasurePendingDevices(ctx, contactID)
	if err != nil {
		return nil, fmt.Errorf("activities: pending devices of erased contact %s: %w", contactID, err)
	}
	return devices, nil
}

// CompleteErasure closes the erasure with the devices that never confirmed the removal.
func (f *Forget) CompleteErasure(ctx context.Context, contactID string, stragglers []string) error {
	if err := f.Store.CompleteErasure(ctx, contactID, stragglers); err != nil {
		return fmt.Errorf("activities: complete erasure of contact %s: %w", contactID, err)
	}
	return nil
}
