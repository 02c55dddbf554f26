package worker

import (
	"testing"

	"go.temporal.io/sdk/client"

	"github.com/kontakt/kontakt/activities"
)

// New registers every workflow and every exported method of Activities; the SDK panics
// there if one has a signature it cannot run, so building the worker is the check. The
// lazy client does not connect. Run itself is exercised with a real Temporal server by
// the integration tests.
func TestNewRegisters(t *testing.T) {
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if w := New(c, Deps{Activities: &activities.Activities{}, Reconciler: &activities.Reconciler{}, Forget: &activities.Forget{},
		Retention: &activities.Retention{}, Subject: &activities.Subject{}, Lifecycle: &activities.Lifecycle{},
		ProjectClosure: &activities.ProjectClosure{}}); w == nil {
		t.Fatal("no worker")
	}
}
