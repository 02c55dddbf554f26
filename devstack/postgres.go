// Package devstack runs the services Kontakt depends on as private child
// processes, so that development and tests need no system-wide setup.
//
// It is Linux-only: the child processes rely on Linux process attributes
// (parent-death signal, process groups, credentials).
package devstack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	pgUser         = "kontakt"
	startupTimeout = 30 * time.Second
	stopTimeout    = 30 * time.Second
	killTimeout    = 10 * time.Second
	portAttempts   = 3
	logTailLines   = 15
)

// PostgresOptions configures StartPostgres.
type PostgresOptions struct {
	// Dir holds the cluster: data in Dir/data, the superuser password in
	// Dir/password and the server log in Dir/postgres.log. It is created
	// if missing and reused by later starts.
	Dir string
	// Port is the loopback TCP port to listen on; 0 picks a free one.
	Port int
	// Fast turns off fsync, synchronous_commit and full_page_writes.
	// Data may be lost on a crash, so use it only for throwaway clusters
	// such as those of tests.
	Fast bool
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
}

// Postgres is a running private PostgreSQL cluster listening on 127.0.0.1.
// Its superuser is "kontakt". Stop it with Stop.
type Postgres struct {
	dir      string
	port     int
	password string
	log      *slog.Logger

	proc    *os.Process
	done    chan struct{} // closed when the server process has exited
	waitErr error         // exit status, valid once done is closed

	stopOnce sync.Once
	stopErr  error
}

// StartPostgres starts a PostgreSQL server on the cluster in opt.Dir,
// creating the cluster first if needed, and returns once the server
// accepts connections.
//
// When running as root, the cluster is owned by and run as the "postgres"
// system user, since PostgreSQL refuses to run as root; that user must be
// able to reach opt.Dir.
func StartPostgres(ctx context.Context, opt PostgresOptions) (*Postgres, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opt.Dir == "" {
		return nil, errors.New("devstack: PostgresOptions.Dir is empty")
	}
	bin, err := FindPostgresBin()
	if err != nil {
		return nil, err
	}
	// Missing parents get 0755 so that the postgres user can traverse them
	// when running as root; the cluster dir itself is private.
	if err := os.MkdirAll(filepath.Dir(opt.Dir), 0o755); err != nil {
		return nil, fmt.Errorf("devstack: create cluster dir: %w", err)
	}
	if err := os.Mkdir(opt.Dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("devstack: create cluster dir: %w", err)
	}
	dir, err := filepath.Abs(opt.Dir)
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("devstack: resolve cluster dir: %w", err)
	}

	cred, err := serverCredential(dir)
	if err != nil {
		return nil, err
	}
	password, err := loadPassword(dir)
	if err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "postgres.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("devstack: open postgres log: %w", err)
	}
	defer logFile.Close()
	if cred != nil {
		if err := chownTree(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	dataDir := filepath.Join(dir, "data")
	if err := checkNotRunning(dataDir); err != nil {
		return nil, err
	}
	if err := initCluster(ctx, log, bin, dir, cred, logFile); err != nil {
		return nil, err
	}

	for attempt := 1; ; attempt++ {
		port := opt.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				return nil, err
			}
		}
		p := &Postgres{dir: dir, port: port, password: password, log: log}
		portTaken, err := p.start(ctx, bin, opt.Fast, cred, logFile)
		if err == nil {
			log.Info("postgres started", "dir", dir, "port", port, "pid", p.proc.Pid)
			return p, nil
		}
		if !portTaken || opt.Port != 0 || attempt == portAttempts {
			return nil, err
		}
		log.Warn("postgres port taken, retrying with another", "port", port)
	}
}

// start runs the server process and waits until it accepts connections.
// On failure, portTaken reports whether the port was already in use.
func (p *Postgres) start(ctx context.Context, bin string, fast bool, cred *syscall.Credential, logFile *os.File) (portTaken bool, err error) {
	logStart, err := logFile.Seek(0, io.SeekEnd)
	if err != nil {
		return false, fmt.Errorf("devstack: postgres log: %w", err)
	}
	args := []string{
		"-D", filepath.Join(p.dir, "data"),
		"-p", strconv.Itoa(p.port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=",
	}
	if fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Dir = p.dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: cred,
		Setpgid:    true, // a Ctrl-C in the terminal reaches only us; we stop postgres in order
		Pdeathsig:  syscall.SIGTERM,
	}
	p.done = make(chan struct{})
	if err := startLocked(cmd, func(err error) { p.waitErr = err; close(p.done) }); err != nil {
		return false, fmt.Errorf("devstack: start postgres: %w", err)
	}
	p.proc = cmd.Process

	err = p.waitReady(ctx)
	if err == nil {
		return false, nil
	}
	_ = p.Stop()
	tail := logTail(logFile.Name(), logStart)
	portTaken = strings.Contains(tail, "could not bind") || strings.Contains(tail, "could not create any TCP/IP sockets")
	return portTaken, fmt.Errorf("%w; last lines of %s:\n%s", err, logFile.Name(), tail)
}

// startLocked starts cmd from a goroutine locked to its OS thread and keeps
// that thread alive until the process exits, because the kernel delivers
// Pdeathsig when the creating thread ends, not the process (go.dev/issue/27505).
// exited is called with the result of cmd.Wait.
func startLocked(cmd *exec.Cmd, exited func(error)) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		exited(cmd.Wait())
	}()
	return <-started
}

// waitReady connects with backoff until the server answers, it exits, or
// startupTimeout passes.
func (p *Postgres) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	go func() { // abandon a pending connection attempt as soon as the server exits
		select {
		case <-p.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	delay := 10 * time.Millisecond
	for {
		attemptCtx, attemptCancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(attemptCtx, p.URL("postgres"))
		attemptCancel()
		if err == nil {
			return conn.Close(ctx)
		}
		if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "28P01" {
			return fmt.Errorf("devstack: postgres rejects the password in %s: %w", filepath.Join(p.dir, "password"), err)
		}
		select {
		case <-ctx.Done():
			select {
			case <-p.done:
				return fmt.Errorf("devstack: postgres exited during startup: %v", p.waitErr)
			default:
				return fmt.Errorf("devstack: postgres not ready (waited up to %v): %w", startupTimeout, err)
			}
		case <-time.After(delay):
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

// URL returns a connection URL for database as the superuser.
func (p *Postgres) URL(database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(pgUser, p.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port returns the TCP port the server listens on.
func (p *Postgres) Port() int { return p.port }

// Stop shuts the server down in "fast" mode (SIGINT: active sessions are
// rolled back) and waits for it to exit. If it has not exited after 30s it
// is sent SIGQUIT ("immediate" mode), then SIGKILL. Calling Stop again
// returns the first result.
func (p *Postgres) Stop() error {
	p.stopOnce.Do(func() { p.stopErr = p.stop() })
	return p.stopErr
}

func (p *Postgres) stop() error {
	select {
	case <-p.done:
		return p.exitErr("postgres had already exited")
	default:
	}
	p.log.Info("stopping postgres", "pid", p.proc.Pid)
	if err := p.proc.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("devstack: stop postgres: %w", err)
	}
	select {
	case <-p.done:
		return p.exitErr("postgres exited uncleanly")
	case <-time.After(stopTimeout):
	}
	p.log.Warn("postgres did not stop in time, sending SIGQUIT", "pid", p.proc.Pid)
	_ = p.proc.Signal(syscall.SIGQUIT)
	select {
	case <-p.done:
	case <-time.After(killTimeout):
		p.log.Warn("postgres ignored SIGQUIT, killing it", "pid", p.proc.Pid)
		_ = syscall.Kill(-p.proc.Pid, syscall.SIGKILL)
		<-p.done
	}
	return fmt.Errorf("devstack: postgres did not stop within %v and was terminated", stopTimeout)
}

func (p *Postgres) exitErr(msg string) error {
	if p.waitErr != nil {
		return fmt.Errorf("devstack: %s: %w", msg, p.waitErr)
	}
	return nil
}

// CreateDatabase creates database name, copied from template if template
// is not empty.
func (p *Postgres) CreateDatabase(ctx context.Context, name, template string) error {
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if err := p.exec(ctx, sql); err != nil {
		return fmt.Errorf("devstack: create database %s: %w", name, err)
	}
	return nil
}

// DropDatabase drops database name if it exists, terminating any sessions
// still connected to it.
func (p *Postgres) DropDatabase(ctx context.Context, name string) error {
	sql := "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"
	if err := p.exec(ctx, sql); err != nil {
		return fmt.Errorf("devstack: drop database %s: %w", name, err)
	}
	return nil
}

// exec runs one statement in the "postgres" database.
func (p *Postgres) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// FindPostgresBin returns the directory holding the PostgreSQL server
// binaries (initdb, postgres): the one of initdb in PATH if any (after
// following symlinks), else the highest version under
// /usr/lib/postgresql/*/bin.
func FindPostgresBin() (string, error) {
	if path, err := exec.LookPath("initdb"); err == nil {
		if path, err = filepath.EvalSymlinks(path); err == nil {
			return filepath.Dir(path), nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return "", errors.New("devstack: PostgreSQL server not found (no initdb in PATH or /usr/lib/postgresql/*/bin); install it with: apt-get install postgresql postgresql-contrib")
	}
	version := func(initdb string) []int {
		var v []int
		for f := range strings.SplitSeq(filepath.Base(filepath.Dir(filepath.Dir(initdb))), ".") {
			n, _ := strconv.Atoi(f)
			v = append(v, n)
		}
		return v
	}
	best := slices.MaxFunc(matches, func(a, b string) int { return slices.Compare(version(a), version(b)) })
	return filepath.Dir(best), nil
}

// initCluster runs initdb unless Dir/data already holds a cluster.
func initCluster(ctx context.Context, log *slog.Logger, bin, dir string, cred *syscall.Credential, logFile *os.File) error {
	dataDir := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err == nil {
		return nil
	}
	log.Info("creating postgres cluster", "dir", dataDir)
	var out []byte
	for _, locale := range []string{"C.UTF-8", "C"} {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
			"-D", dataDir, "-U", pgUser, "--auth=scram-sha-256",
			"--pwfile="+filepath.Join(dir, "password"), "-E", "UTF8", "--locale="+locale)
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
		var err error
		out, err = cmd.CombinedOutput()
		_, _ = logFile.Write(out)
		if err == nil {
			return nil
		}
		if !bytes.Contains(out, []byte("locale")) {
			break
		}
		log.Warn("initdb refused locale, retrying", "locale", locale)
	}
	return fmt.Errorf("devstack: initdb failed:\n%s", bytes.TrimSpace(out))
}

// loadPassword reads Dir/password, creating it with a random password if
// the cluster does not exist yet.
func loadPassword(dir string) (string, error) {
	path := filepath.Join(dir, "password")
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("devstack: read password: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION")); err == nil {
		return "", fmt.Errorf("devstack: cluster in %s exists but %s is missing", dir, path)
	}
	pw := make([]byte, 24)
	_, _ = rand.Read(pw)
	password := hex.EncodeToString(pw)
	if err := os.WriteFile(path, []byte(password), 0o600); err != nil {
		return "", fmt.Errorf("devstack: write password: %w", err)
	}
	return password, nil
}

// serverCredential returns nil when not root; as root, it returns the
// credential of the "postgres" system user after checking that this user
// can reach dir.
func serverCredential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("devstack: running as root needs a \"postgres\" system user to run PostgreSQL as, but it was not found: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	gids := []int{gid}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.Atoi(id); err == nil {
				gids = append(gids, g)
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		if !searchable(p, uid, gids) {
			return nil, fmt.Errorf("devstack: the postgres user cannot reach %s because %s is not searchable by it; use a directory under /var/tmp, e.g. KONTAKT_DATA_DIR=/var/tmp/kontakt", dir, p)
		}
		if p == filepath.Dir(p) {
			return cred, nil
		}
	}
}

// searchable reports whether the user uid with groups gids may traverse dir.
func searchable(dir string, uid int, gids []int) bool {
	fi, err := os.Stat(dir)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	mode := fi.Mode().Perm()
	switch {
	case int(st.Uid) == uid:
		return mode&0o100 != 0
	case slices.Contains(gids, int(st.Gid)):
		return mode&0o010 != 0
	default:
		return mode&0o001 != 0
	}
}

// chownTree gives dir and everything in it to uid:gid.
func chownTree(dir string, uid, gid int) error {
	err := filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
	if err != nil {
		return fmt.Errorf("devstack: give %s to the postgres user: %w", dir, err)
	}
	return nil
}

// checkNotRunning fails if a live postgres process holds dataDir.
// A stale postmaster.pid left by a crash is fine: postgres removes it.
func checkNotRunning(dataDir string) error {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return nil
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return nil
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return nil
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err == nil && strings.TrimSpace(string(comm)) != "postgres" {
		return nil // the pid was reused by an unrelated process
	}
	return fmt.Errorf("devstack: %s is in use by another running postgres (pid %d); stop it first", dataDir, pid)
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("devstack: pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the last lines of the log written after offset.
func logTail(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	if offset <= int64(len(b)) {
		b = b[offset:]
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-logTailLines):], "\n")
}
