package temporal

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdktemporal "go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/common/headers"
)

func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func dial(t *testing.T, s *Server) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  s.Address(),
		Namespace: s.Namespace(),
		Logger:    sdklog.NewStructuredLogger(testLogger()),
	})
	if err != nil {
		t.Fatalf("dial %s: %v", s.Address(), err)
	}
	return c
}

func rssMB() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(rest)
		}
	}
	return "?"
}

func contactWorkflow(ctx workflow.Context, contactID string) (string, error) {
	key := sdktemporal.NewSearchAttributeKeyKeyword("ContactID")
	if err := workflow.UpsertTypedSearchAttributes(ctx, key.ValueSet(contactID)); err != nil {
		return "", err
	}
	if err := workflow.Sleep(ctx, 2*time.Second); err != nil {
		return "", err
	}
	return "done " + contactID, nil
}

func TestServerVersion(t *testing.T) {
	if ServerVersion != headers.ServerVersion {
		t.Fatalf("ServerVersion = %s, linked server is %s", ServerVersion, headers.ServerVersion)
	}
	if userVersion != 1032001 || versionString(userVersion) != ServerVersion {
		t.Fatalf("userVersion = %d (%s)", userVersion, versionString(userVersion))
	}
}

func TestInMemoryWorkflowVisibilityUI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	t0 := time.Now()
	s, err := Start(ctx, Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("started in %v: frontend %s, UI %s, namespace %s", time.Since(t0), s.Address(), s.UIURL(), s.Namespace())
	defer func() {
		t0 := time.Now()
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
		t.Logf("stopped in %v", time.Since(t0))
		if err := s.Stop(); err != nil {
			t.Errorf("second Stop: %v", err)
		}
	}()
	if s.Namespace() != "default" || s.UIURL() == "" || s.Address() == "" {
		t.Fatalf("Namespace %q, UIURL %q, Address %q", s.Namespace(), s.UIURL(), s.Address())
	}

	c := dial(t, s)
	defer c.Close()

	sa, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: s.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range SearchAttributes {
		if got := sa.GetCustomAttributes()[name]; got != enumspb.INDEXED_VALUE_TYPE_KEYWORD {
			t.Errorf("search attribute %s: %v, want Keyword", name, got)
		}
	}

	const queue = "devstack-temporal-test"
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(contactWorkflow)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	t1 := time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "contact-c-1", TaskQueue: queue}, contactWorkflow, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	var result string
	if err := run.Get(ctx, &result); err != nil {
		t.Fatal(err)
	}
	if result != "done c-1" {
		t.Fatalf("result %q", result)
	}
	t.Logf("workflow with a 2 s timer done in %v", time.Since(t1))

	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: s.Namespace(),
			Query:     `ContactID = "c-1"`,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetExecutions()) == 1 && resp.GetExecutions()[0].GetExecution().GetWorkflowId() == "contact-c-1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ContactID = \"c-1\" lists %d executions after 10 s", len(resp.GetExecutions()))
		}
		time.Sleep(100 * time.Millisecond)
	}
	other, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: s.Namespace(),
		Query:     `ContactID = "c-2"`,
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(other.GetExecutions()); n != 0 {
		t.Errorf(`ContactID = "c-2" lists %d executions`, n)
	}

	resp, err := http.Get(s.UIURL())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(strings.ToLower(string(body)), "<html") {
		t.Fatalf("GET %s: %s, %d bytes", s.UIURL(), resp.Status, len(body))
	}
	t.Logf("RSS with server, client, worker and UI: %s", rssMB())
}

func TestFileRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "kontakt-temporal-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	file := filepath.Join(dir, "temporal-"+ServerVersion+".db")
	opt := Options{DBFile: file, UIPort: -1, Namespace: "kontakt", Logger: testLogger()}

	t0 := time.Now()
	s, err := Start(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("new file: started in %v", time.Since(t0))
	if s.UIURL() != "" {
		t.Errorf("UIURL %q without UI", s.UIURL())
	}
	c := dial(t, s)
	// No worker: the workflow stays open in the file.
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "survives-restart", TaskQueue: "nobody"}, "Nothing"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	t0 = time.Now()
	s, err = Start(ctx, opt)
	if err != nil {
		t.Fatalf("restart on the same file: %v", err)
	}
	t.Logf("existing file: started in %v", time.Since(t0))
	c = dial(t, s)
	if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "kontakt"}); err != nil {
		t.Errorf("namespace after restart: %v", err)
	}
	sa, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "kontakt"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range SearchAttributes {
		if got := sa.GetCustomAttributes()[name]; got != enumspb.INDEXED_VALUE_TYPE_KEYWORD {
			t.Errorf("search attribute %s after restart: %v", name, got)
		}
	}
	if _, err := c.DescribeWorkflowExecution(ctx, "survives-restart", ""); err != nil {
		t.Errorf("workflow after restart: %v", err)
	}
	c.Close()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	// A file stamped by another server version is refused before anything starts.
	db, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 1031000"); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	if s, err := Start(ctx, opt); err == nil {
		_ = s.Stop()
		t.Fatal("Start accepted a file of server 1.31.0")
	} else if !strings.Contains(err.Error(), "1.31.0") {
		t.Fatalf("unexpected error: %v", err)
	}
}

func TestPortBusy(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	_, err = Start(context.Background(), Options{Port: l.Addr().(*net.TCPAddr).Port, UIPort: -1})
	if err == nil || !strings.Contains(err.Error(), "frontend port") {
		t.Fatalf("Start on a busy port: %v", err)
	}
}
