// Package temporal runs an in-process Temporal server for `kontakt dev` and tests, the way
// Temporal's own dev server (`temporal server start-dev`) does: the four services of
// go.temporal.io/server in this process on SQLite, one history shard, a namespace with
// Kontakt's search attributes pre-registered, and optionally the Web UI.
//
// Production uses a Temporal cluster instead (deploy/). Only cmd and tests import this
// package: it links the whole server (a cold build takes minutes, the binary grows by
// about 170 MB), so keep the packages that import it few.
package temporal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	sdkclient "go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
	tserver "go.temporal.io/server/temporal"
)

// ServerVersion is the version of go.temporal.io/server linked in. SQLite files are never
// migrated between server versions: name the file after it (temporal-1.32.1.db) or treat
// it as disposable. Start refuses a file created by another version.
const ServerVersion = "1.32.1"

// The ports of `temporal server start-dev`, which `kontakt dev` uses. The zero value of
// Options.Port and Options.UIPort means "any free port" instead (for tests).
const (
	DefaultPort   = 7233
	DefaultUIPort = 8233
)

// SearchAttributes are the Keyword search attributes Kontakt's workflows set,
// pre-registered on the namespace. Do not modify.
var SearchAttributes = []string{"ContactID", "ProjectID", "CampaignID", "ConsentPurpose"}

// clusterName is the cluster name the CLI's dev server uses too.
const clusterName = "active"

// Options configure Start. The zero value is an in-memory server on free ports of
// 127.0.0.1 with the UI, namespace "default", logs discarded.
type Options struct {
	// DBFile is the SQLite file (created with its schema when missing or empty; WAL,
	// synchronous=normal, one connection). "" means in-memory (tests). A file must not
	// be reused across server versions (see ServerVersion). The server's SQLite plugin
	// never closes its connections: a file stays open, and an in-memory database stays in
	// memory, until the process exits, even after Stop.
	DBFile string
	// IP the services and the UI bind to; default 127.0.0.1.
	IP string
	// Port is the frontend gRPC port (DefaultPort for `kontakt dev`). History, matching,
	// worker and the frontend's HTTP API (as in the CLI's dev server; it also serves Nexus)
	// take the next free ports above it. 0 picks free ports for all of them.
	Port int
	// UIPort is the Web UI port (DefaultUIPort for `kontakt dev`); -1 = no UI, 0 = free port.
	UIPort int
	// Namespace is created if missing; default "default".
	Namespace string
	// Logger receives the server's logs at warn and above (the server is chatty); nil
	// discards them.
	Logger *slog.Logger
}

// Server is a running in-process Temporal server.
type Server struct {
	srv   tserver.Server
	ui    *uiserver.Server
	addr  string
	uiURL string
	ns    string
	level *slog.LevelVar // of the server's logger

	stopOnce sync.Once
	stopErr  error
}

// Address returns host:port of the frontend, for client.Options.HostPort.
func (s *Server) Address() string { return s.addr }

// UIURL returns the Web UI's base URL, or "" without UI.
func (s *Server) UIURL() string { return s.uiURL }

// Namespace returns the namespace Start created or found.
func (s *Server) Namespace() string { return s.ns }

// readyTimeout bounds Start's wait for the frontend and the UI when ctx has no deadline.
const readyTimeout = time.Minute

// Start starts the server and returns when the frontend accepts connections, the namespace
// exists with SearchAttributes registered, and the UI (if any) answers. The ports are
// checked before anything starts. Stop it with Stop; ctx bounds only the start.
func Start(ctx context.Context, opt Options) (_ *Server, err error) {
	if opt.IP == "" || opt.IP == "localhost" {
		opt.IP = "127.0.0.1"
	}
	if net.ParseIP(opt.IP) == nil {
		return nil, fmt.Errorf("temporal: IP %q is not an IP address", opt.IP)
	}
	if opt.Namespace == "" {
		opt.Namespace = "default"
	}
	if opt.Port < 0 || opt.Port > 65535 || opt.UIPort < -1 || opt.UIPort > 65535 {
		return nil, fmt.Errorf("temporal: bad port (Port %d, UIPort %d)", opt.Port, opt.UIPort)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, readyTimeout)
		defer cancel()
	}
	logger, level := filteredLogger(opt.Logger)

	ports, err := choosePorts(opt.IP, opt.Port, opt.UIPort)
	if err != nil {
		return nil, err
	}
	sqlCfg, err := prepareDB(ctx, opt.DBFile, opt.Namespace)
	if err != nil {
		return nil, err
	}

	host := dialHost(opt.IP)
	addr := net.JoinHostPort(host, strconv.Itoa(ports.frontend))
	srv, err := tserver.NewServer(
		tserver.WithConfig(serverConfig(opt.IP, addr, ports, sqlCfg)),
		tserver.ForServices(tserver.DefaultServices),
		tserver.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: static.SingleLocalHost(addr),
			primitives.HistoryService:  static.SingleLocalHost(net.JoinHostPort(host, strconv.Itoa(ports.history))),
			primitives.MatchingService: static.SingleLocalHost(net.JoinHostPort(host, strconv.Itoa(ports.matching))),
			primitives.WorkerService:   static.SingleLocalHost(net.JoinHostPort(host, strconv.Itoa(ports.worker))),
		}),
		tserver.WithLogger(serverLogger{l: logger}),
		tserver.WithDynamicConfigClient(dynamicConfig()),
	)
	if err != nil {
		return nil, fmt.Errorf("temporal: new server: %w", err)
	}

	started := make(chan error, 1)
	go func() { started <- srv.Start() }()
	select {
	case err := <-started:
		if err != nil {
			_ = srv.Stop()
			return nil, fmt.Errorf("temporal: start server: %w", err)
		}
	case <-ctx.Done():
		go func() {
			if <-started == nil {
				_ = srv.Stop()
			}
		}()
		return nil, fmt.Errorf("temporal: start server: %w", ctx.Err())
	}

	s := &Server{srv: srv, addr: addr, ns: opt.Namespace, level: level}
	defer func() {
		if err != nil {
			_ = s.Stop()
		}
	}()
	if err := s.waitReady(ctx, logger); err != nil {
		return nil, err
	}
	if ports.ui > 0 {
		if err := s.startUI(ctx, opt.IP, ports.ui); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Stop stops the UI, then the server (a graceful stop takes about a second). It is
// idempotent and returns the first call's error.
//
// The server's logs end when Stop begins: shutting down makes every component warn, and
// some report errors ("task queue closed"), about peers going away. And server 1.32.1 does
// not stop the SDK workers its worker service starts (scanners, parent-close-policy; fixed
// upstream by temporalio/temporal#11436): about 110 goroutines stay behind, polling the
// stopped frontend with backoff until the process exits. Tests should therefore share one
// server per package (TestMain) rather than start one per test.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.level.Set(levelOff)
		if s.ui != nil {
			s.ui.Stop()
		}
		s.stopErr = s.srv.Stop()
	})
	return s.stopErr
}

func serverConfig(ip, addr string, p ports, sqlCfg *config.SQL) *config.Config {
	const store = "sqlite-default"
	svc := func(port int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: ip}}
	}
	frontend := svc(p.frontend)
	frontend.RPC.HTTPPort = p.http
	return &config.Config{
		Global: config.Global{
			Membership: config.Membership{
				MaxJoinDuration:  30 * time.Second,
				BroadcastAddress: dialHost(ip),
			},
		},
		Persistence: config.Persistence{
			DefaultStore:     store,
			VisibilityStore:  store,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{store: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {
					Enabled:                true,
					InitialFailoverVersion: 1,
					RPCAddress:             addr,
					HTTPAddress:            net.JoinHostPort(dialHost(ip), strconv.Itoa(p.http)),
				},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			string(primitives.FrontendService): frontend,
			string(primitives.HistoryService):  svc(p.history),
			string(primitives.MatchingService): svc(p.matching),
			string(primitives.WorkerService):   svc(p.worker),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{
			Archival: config.ArchivalNamespaceDefaults{
				History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
				Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
			},
		},
		PublicClient: config.PublicClient{HostPort: addr},
	}
}

// dynamicConfig is what the CLI's dev server sets.
func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// Registered search attributes are usable at once.
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
		// Reading search attributes from the DB costs QPS: raise the limits, in the
		// defaults' ratio.
		dynamicconfig.FrontendPersistenceMaxQPS.Key(): 10000,
		dynamicconfig.HistoryPersistenceMaxQPS.Key():  45000,
		// Fewer cached workflows (default 128000) for a small process.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8096,
		// The UI and tests list workflows often (default 10/s).
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
	}
}

// waitReady dials the frontend until it answers, waits for the namespace, and registers
// the SearchAttributes the namespace lacks (a file from before a new one was added).
func (s *Server) waitReady(ctx context.Context, logger *slog.Logger) error {
	var c sdkclient.Client
	for {
		var err error
		c, err = sdkclient.DialContext(ctx, sdkclient.Options{
			HostPort:  s.addr,
			Namespace: s.ns,
			Logger:    sdklog.NewStructuredLogger(logger),
		})
		if err == nil {
			break
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return fmt.Errorf("temporal: frontend %s not ready: %w", s.addr, err)
		}
	}
	defer c.Close()

	for {
		_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: s.ns})
		if err == nil {
			break
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return fmt.Errorf("temporal: namespace %q not ready: %w", s.ns, err)
		}
	}

	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: s.ns})
	if err != nil {
		return fmt.Errorf("temporal: list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, name := range SearchAttributes {
		t, ok := resp.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
		case t != enumspb.INDEXED_VALUE_TYPE_KEYWORD:
			return fmt.Errorf("temporal: search attribute %s is %v in namespace %q, want Keyword", name, t, s.ns)
		}
	}
	if len(missing) > 0 {
		_, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace:        s.ns,
			SearchAttributes: missing,
		})
		if err != nil {
			return fmt.Errorf("temporal: add search attributes: %w", err)
		}
	}
	return nil
}

// startUI starts the Web UI on a port choosePorts found free and waits until it answers.
func (s *Server) startUI(ctx context.Context, ip string, port int) error {
	// The UI server's Start calls os.Exit(1) if it cannot listen (echo's Logger.Fatal):
	// check the port once more right before it.
	if err := portFree(ip, port); err != nil {
		return fmt.Errorf("temporal: UI port %d: %w", port, err)
	}
	host := ip
	if net.ParseIP(ip).To4() == nil {
		host = "[" + ip + "]"
	}
	s.ui = uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
		Host:                host,
		Port:                port,
		TemporalGRPCAddress: s.addr,
		EnableUI:            true,
		DefaultNamespace:    s.ns,
		DisableNewsFetch:    true,
		HideLogs:            true,
		CORS:                uiconfig.CORS{CookieInsecure: true},
	}))
	go func() { _ = s.ui.Start() }()

	s.uiURL = "http://" + net.JoinHostPort(dialHost(ip), strconv.Itoa(port))
	hc := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.uiURL+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return fmt.Errorf("temporal: UI not ready: %w", err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// dialHost is the host clients dial for services bound to ip.
func dialHost(ip string) string {
	parsed := net.ParseIP(ip)
	switch {
	case parsed.Equal(net.IPv4zero):
		return "127.0.0.1"
	case parsed.Equal(net.IPv6unspecified):
		return "::1"
	}
	return ip
}

type ports struct {
	frontend, history, matching, worker, http, ui int
}

// choosePorts checks the requested ports and picks the others (history, matching, worker
// and the frontend's HTTP API): with a fixed frontend port the next free ports above it
// (7234.. as the CLI does), else ports the OS picks.
func choosePorts(ip string, port, uiPort int) (ports, error) {
	var p ports
	taken := map[int]bool{}
	free := func() (int, error) {
		for range 10 {
			n, err := freePort(ip)
			if err != nil {
				return 0, err
			}
			if !taken[n] {
				taken[n] = true
				return n, nil
			}
		}
		return 0, errors.New("temporal: no free port")
	}
	if port > 0 {
		if err := portFree(ip, port); err != nil {
			return p, fmt.Errorf("temporal: frontend port %d: %w", port, err)
		}
		p.frontend = port
		taken[port] = true
	} else {
		n, err := free()
		if err != nil {
			return p, err
		}
		p.frontend = n
	}
	if uiPort > 0 {
		if taken[uiPort] {
			return p, fmt.Errorf("temporal: UI port %d is the frontend port", uiPort)
		}
		if err := portFree(ip, uiPort); err != nil {
			return p, fmt.Errorf("temporal: UI port %d: %w", uiPort, err)
		}
		p.ui = uiPort
		taken[uiPort] = true
	}
	next := port + 1
	for _, dst := range []*int{&p.history, &p.matching, &p.worker, &p.http} {
		if port == 0 {
			n, err := free()
			if err != nil {
				return p, err
			}
			*dst = n
			continue
		}
		for ; *dst == 0; next++ {
			if next > 65535 || next > port+100 {
				return p, fmt.Errorf("temporal: no free ports above %d for history, matching, worker and HTTP", port)
			}
			if !taken[next] && portFree(ip, next) == nil {
				*dst = next
				taken[next] = true
			}
		}
	}
	if uiPort == 0 {
		n, err := free()
		if err != nil {
			return p, err
		}
		p.ui = n
	}
	return p, nil
}

func portFree(ip string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	return l.Close()
}

func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}
