package worker

import (
	"log/slog"

	"go.temporal.io/sdk/client"

	"github.com/kontakt/kontakt/activities"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/workflows"
)

// NewDeps builds every activity struct the worker registers over one store, one Temporal
// client (for the workflows that activities start or signal) and one mailer. publicURL is
// where people reach Kontakt's public pages; links in mails are built on it.
func NewDeps(st *store.Store, c client.Client, mailer activities.Mailer, publicURL string, log *slog.Logger) Deps {
	v := workflows.Verifier{Client: c}
	return Deps{
		Activities: &activities.Activities{Store: st, Mailer: mailer, PublicURL: publicURL,
			Lifecycle: workflows.LifecycleTeller{Client: c, Store: st}, Log: log},
		Reconciler:     workflows.NewReconciler(c, st),
		Forget:         &activities.Forget{Store: st},
		Retention:      &activities.Retention{Store: st, Verifications: v},
		Subject:        &activities.Subject{Store: st, Mailer: mailer, PublicURL: publicURL, Log: log},
		Lifecycle:      &activities.Lifecycle{Store: st, StartVerification: v.StartVerification, Log: log},
		ProjectClosure: &activities.ProjectClosure{Store: st, Mailer: mailer, PublicURL: publicURL, Log: log},
		Campaign:       &activities.Campaign{Store: st, Mailer: mailer, PublicURL: publicURL, Log: log},
	}
}
