package deploy

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// helmVersion is the helm built from the Go module proxy when none is at hand.
const helmVersion = "v3.22.0"

// missing skips a test whose tool is not here, except under CI, where it fails.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format+" (required under CI)", args...)
	}
	t.Skipf(format, args...)
}

// run runs a command in dir with env over a clean copy of the environment (no KONTAKT_*
// variables of the caller's shell) and returns its standard output.
func run(t *testing.T, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KONTAKT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), err
}

// configVars are the KONTAKT_* variables config.Load reads, found in its source.
func configVars(t *testing.T) map[string]bool {
	t.Helper()
	src, err := os.ReadFile("../config/config.go")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]bool{}
	for _, m := range regexp.MustCompile(`"(KONTAKT_[A-Z0-9_]+)"`).FindAllStringSubmatch(string(src), -1) {
		vars[m[1]] = true
	}
	if len(vars) < 20 {
		t.Fatalf("found only %d variables in config.go", len(vars))
	}
	return vars
}

// checkVar fails on a KONTAKT_* variable that config.Load does not read (a typo would be
// silently ignored by Kontakt).
func checkVar(t *testing.T, vars map[string]bool, where, name string) {
	t.Helper()
	if !strings.HasPrefix(name, "KONTAKT_") {
		return
	}
	if !vars[name] && !vars[strings.TrimSuffix(name, "_FILE")] {
		t.Errorf("%s sets %s, which Kontakt does not read", where, name)
	}
}

// dockerfile is the Dockerfile's instructions, continuation lines joined.
func dockerfile(t *testing.T) [][2]string {
	t.Helper()
	f, err := os.Open("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	var cur string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur == "" && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			cur += strings.TrimSuffix(line, `\`) + " "
			continue
		}
		cur += line
		instr, args, _ := strings.Cut(cur, " ")
		out = append(out, [2]string{strings.ToUpper(instr), strings.TrimSpace(args)})
		cur = ""
	}
	return out
}

// shellWords splits a RUN line as sh would for the simple words the Dockerfile uses:
// double-quoted words, no expansions but ${VERSION}.
func shellWords(s string) []string {
	var words []string
	var w strings.Builder
	inQuote, any := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote, any = !inQuote, true
		case r == ' ' && !inQuote:
			if any {
				words = append(words, w.String())
			}
			w.Reset()
			any = false
		default:
			w.WriteRune(r)
			any = true
		}
	}
	if any {
		words = append(words, w.String())
	}
	return words
}

// TestDockerfile checks the image's shape (a build stage, a distroless final stage, a
// numeric non-root user, kontakt as the entrypoint) and runs its `go build` line as it is,
// here, without a Docker engine: the binary it makes is static, leaves out the dev stack,
// and carries the version. It reports the binary's size, and the size with the dev stack.
func TestDockerfile(t *testing.T) {
	instrs := dockerfile(t)
	var froms []string
	var user, entrypoint, cmd, build string
	for _, in := range instrs {
		switch in[0] {
		case "FROM":
			froms = append(froms, in[1])
		case "USER":
			user = in[1]
		case "ENTRYPOINT":
			entrypoint = in[1]
		case "CMD":
			cmd = in[1]
		case "RUN":
			if strings.Contains(in[1], "go build") {
				build = in[1]
			}
		case "ARG", "WORKDIR", "COPY", "ENV", "EXPOSE":
		default:
			t.Errorf("unexpected instruction %s", in[0])
		}
	}
	if len(froms) != 2 || !strings.HasPrefix(froms[0], "golang:") || !strings.HasSuffix(froms[0], " AS build") ||
		!strings.HasPrefix(froms[1], "gcr.io/distroless/static") {
		t.Errorf("stages %q: want a golang build stage and a distroless/static final stage", froms)
	}
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("USER %q: want a numeric non-root user", user)
	}
	if entrypoint != `["/usr/local/bin/kontakt"]` || cmd != `["serve"]` {
		t.Errorf("ENTRYPOINT %s CMD %s", entrypoint, cmd)
	}

	// The build line, from its environment assignments on.
	words := shellWords(build[strings.Index(build, "CGO_ENABLED="):])
	var env []string
	for len(words) > 0 && strings.Contains(words[0], "=") {
		env = append(env, words[0])
		words = words[1:]
	}
	if !slices.Contains(env, "CGO_ENABLED=0") || len(words) < 2 || words[0] != "go" || words[1] != "build" {
		t.Fatalf("the build line is not `CGO_ENABLED=0 ... go build ...`: %q", build)
	}
	out := filepath.Join(t.TempDir(), "kontakt")
	args := slices.Clone(words[1:])
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "${VERSION}", "9.9.9-test")
		if i > 0 && args[i-1] == "-o" {
			args[i] = out
		}
	}
	if !slices.Contains(args, "-tags") || !slices.Contains(args, "nodev") {
		t.Errorf("the image's build keeps the dev stack: %q", args)
	}
	if _, err := run(t, "..", env, "go", args...); err != nil {
		t.Fatal(err)
	}
	checkStatic(t, out)
	if v, err := run(t, "", nil, out, "version"); err != nil || strings.TrimSpace(v) != "9.9.9-test" {
		t.Errorf("kontakt version: %q %v", v, err)
	}
	if _, err := run(t, "", nil, out, "dev"); err == nil || !strings.Contains(err.Error(), "built without the dev stack") {
		t.Errorf("kontakt dev in the production build: %v", err)
	}
	prod := size(t, out)

	// The same build with the dev stack, for the README's comparison: it compiles the whole
	// Temporal server again with -trimpath (minutes), so only when asked.
	if os.Getenv("KONTAKT_TEST_BINARY_SIZES") == "" {
		t.Logf("static binary: %.1f MiB with -tags nodev (the image's); KONTAKT_TEST_BINARY_SIZES=1 also builds it with the dev stack", prod)
		return
	}
	full := filepath.Join(t.TempDir(), "kontakt-dev")
	fullArgs := slices.Clone(args)
	for i := range fullArgs {
		if fullArgs[i] == out {
			fullArgs[i] = full
		}
	}
	i := slices.Index(fullArgs, "-tags")
	fullArgs = slices.Delete(fullArgs, i, i+2)
	if _, err := run(t, "..", env, "go", fullArgs...); err != nil {
		t.Fatal(err)
	}
	checkStatic(t, full)
	t.Logf("static binary: %.1f MiB with -tags nodev (the image's), %.1f MiB with the dev stack", prod, size(t, full))
}

func size(t *testing.T, path string) float64 {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return float64(fi.Size()) / (1 << 20)
}

// checkStatic fails on a binary that needs a dynamic loader or shared libraries.
func checkStatic(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s needs a dynamic loader", path)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s links %v", path, libs)
	}
}

// composeFile is what `docker-compose config` prints, as far as the test reads it.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       map[string]any    `yaml:"build"`
		Command     []string          `yaml:"command"`
		Entrypoint  []string          `yaml:"entrypoint"`
		Restart     string            `yaml:"restart"`
		Environment map[string]string `yaml:"environment"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Secrets []struct {
			Source string `yaml:"source"`
		} `yaml:"secrets"`
		Ports []any `yaml:"ports"` // "127.0.0.1:8233:8080/tcp" or {published, target}

		Networks map[string]*struct {
			IPv4Address string `yaml:"ipv4_address"`
		} `yaml:"networks"`
		Healthcheck map[string]any `yaml:"healthcheck"`
	} `yaml:"services"`
	Secrets map[string]any `yaml:"secrets"`
}

// TestCompose validates deploy/compose with `docker-compose config` (Debian's docker-compose,
// which `make test` installs) using env.example as the environment, and checks what the
// deployment relies on: the services, their order, the migration job, Temporal's schema by
// temporal-sql-tool, Caddy in front of both replicas, and that every KONTAKT_* variable is
// one Kontakt reads.
func TestCompose(t *testing.T) {
	bin, err := exec.LookPath("docker-compose")
	if err != nil {
		missing(t, "docker-compose is not installed (apt-get install docker-compose)")
	}
	dir := "compose"
	out, err := run(t, dir, nil, bin, "--env-file", "env.example", "-f", "compose.yaml", "config")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, name := range []string{"db", "kontakt-migrate", "kontakt-serve-1", "kontakt-serve-2", "kontakt-worker", "caddy",
		"temporal-db", "temporal-schema", "temporal", "temporal-namespace", "temporal-ui"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("no service %s", name)
		}
	}
	for name, s := range c.Services {
		if strings.Contains(s.Image, "auto-setup") {
			t.Errorf("%s uses the deprecated auto-setup image", name)
		}
	}
	completed := func(svc, dep string) {
		if got := c.Services[svc].DependsOn[dep].Condition; got != "service_completed_successfully" {
			t.Errorf("%s waits for %s with %q, want service_completed_successfully", svc, dep, got)
		}
	}
	vars := configVars(t)
	for name, want := range map[string]string{"kontakt-migrate": "migrate", "kontakt-serve-1": "serve", "kontakt-serve-2": "serve", "kontakt-worker": "worker"} {
		s := c.Services[name]
		if !slices.Equal(s.Command, []string{want}) || s.Build == nil {
			t.Errorf("%s runs %q (build %v), want kontakt %s built from the Dockerfile", name, s.Command, s.Build, want)
		}
		if want != "migrate" {
			completed(name, "kontakt-migrate")
		}
		for k := range s.Environment {
			checkVar(t, vars, name, k)
		}
		if s.Environment["KONTAKT_DATABASE_URL_FILE"] == "" || s.Environment["KONTAKT_DATABASE_URL"] != "" {
			t.Errorf("%s does not read the database URL from a secret file", name)
		}
	}
	if c.Services["kontakt-migrate"].Restart != "no" {
		t.Error("the migration job restarts")
	}
	completed("kontakt-worker", "temporal-namespace")
	completed("temporal", "temporal-schema")
	if c.Services["db"].DependsOn != nil || c.Services["kontakt-migrate"].DependsOn["db"].Condition != "service_healthy" {
		t.Error("the migration job does not wait for a healthy database")
	}
	serve := c.Services["kontakt-serve-1"].Environment
	if serve["KONTAKT_SMTP_HOST"] != "smtp.example.org" || serve["KONTAKT_SMTP_PASSWORD_FILE"] == "" || serve["KONTAKT_TEMPORAL_ADDRESS"] != "temporal:7233" {
		t.Errorf("SMTP relay or Temporal settings: %v", serve)
	}
	caddyIP := c.Services["caddy"].Networks["kontakt"]
	if caddyIP == nil || caddyIP.IPv4Address == "" || serve["KONTAKT_TRUSTED_PROXIES"] != caddyIP.IPv4Address {
		t.Errorf("Kontakt trusts %q, Caddy is at %+v", serve["KONTAKT_TRUSTED_PROXIES"], caddyIP)
	}
	if !strings.HasPrefix(serve["KONTAKT_PUBLIC_URL"], "https://") || serve["KONTAKT_COOKIE_SECURE"] != "true" {
		t.Errorf("public URL %q, secure cookies %q", serve["KONTAKT_PUBLIC_URL"], serve["KONTAKT_COOKIE_SECURE"])
	}
	for _, p := range c.Services["temporal-ui"].Ports {
		if s, ok := p.(string); !ok || !strings.HasPrefix(s, "127.0.0.1:") {
			t.Errorf("the Temporal UI (no login) is published as %v, not on loopback only", p)
		}
	}
	for _, name := range []string{"kontakt-serve-1", "kontakt-serve-2", "kontakt-worker", "db", "temporal-db", "temporal"} {
		if len(c.Services[name].Ports) > 0 {
			t.Errorf("%s is published on the host; only Caddy (and the UI on loopback) should be", name)
		}
	}

	// Temporal's schema comes from temporal-sql-tool; Caddy balances over both replicas and
	// asks their /readyz.
	schema, err := os.ReadFile(filepath.Join(dir, "temporal/setup-schema.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"temporal-sql-tool", "setup-schema -v 0.0", "update-schema --schema-name \"$schema\"", "postgresql/v12/visibility"} {
		if !strings.Contains(string(schema), want) {
			t.Errorf("setup-schema.sh lacks %q", want)
		}
	}
	ns, _ := os.ReadFile(filepath.Join(dir, "temporal/setup-namespace.sh"))
	for _, sa := range []string{"ContactID", "ProjectID", "CampaignID", "ConsentPurpose"} {
		if !strings.Contains(string(ns), sa) {
			t.Errorf("setup-namespace.sh does not register %s", sa)
		}
	}
	caddy, _ := os.ReadFile(filepath.Join(dir, "Caddyfile"))
	for _, want := range []string{"reverse_proxy kontakt-serve-1:8080 kontakt-serve-2:8080", "health_uri /readyz", "{$KONTAKT_DOMAIN}"} {
		if !strings.Contains(string(caddy), want) {
			t.Errorf("Caddyfile lacks %q", want)
		}
	}
	for _, script := range []string{"temporal/setup-schema.sh", "temporal/setup-namespace.sh", "secrets.sh"} {
		if _, err := run(t, dir, nil, "sh", "-n", script); err != nil {
			t.Errorf("%s: %v", script, err)
		}
	}

	// Without the mandatory settings it refuses, naming them.
	empty := filepath.Join(t.TempDir(), "empty.env")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = run(t, dir, []string{"KONTAKT_DOMAIN=", "KONTAKT_SMTP_HOST=", "KONTAKT_SMTP_FROM=", "TEMPORAL_DB_PASSWORD="},
		bin, "--env-file", empty, "-f", "compose.yaml", "config", "-q")
	if err == nil || !strings.Contains(err.Error(), "in .env") {
		t.Errorf("config without .env: %v", err)
	}
}

// helm returns a helm v3 binary: $KONTAKT_HELM, a v3 helm on PATH, or one built from the Go
// module proxy (helm.sh/helm/v3/cmd/helm@helmVersion) into the user's cache, which takes a
// few minutes the first time (`make helm` does the same).
func helm(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("KONTAKT_HELM"); p != "" {
		return p
	}
	if p, err := exec.LookPath("helm"); err == nil {
		if v, err := run(t, "", nil, p, "version", "--short"); err == nil && strings.HasPrefix(v, "v3.") {
			return p
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		missing(t, "no cache directory for helm: %v", err)
	}
	dir := filepath.Join(cache, "kontakt-tools", "helm-"+helmVersion)
	bin := filepath.Join(dir, "helm")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		missing(t, "no go command to build helm with: %v", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".helm-build-")
	if err != nil {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			missing(t, "cannot create %s: %v", dir, err)
		}
		if tmp, err = os.MkdirTemp(filepath.Dir(dir), ".helm-build-"); err != nil {
			missing(t, "cannot create %s: %v", dir, err)
		}
	}
	defer os.RemoveAll(tmp)
	t.Logf("building helm %s from the Go module proxy into %s (once)", helmVersion, dir)
	if _, err := run(t, os.TempDir(), []string{"GOBIN=" + tmp, "GOWORK=off", "GOFLAGS=-mod=mod"}, gobin, "install", "helm.sh/helm/v3/cmd/helm@"+helmVersion); err != nil {
		missing(t, "cannot build helm: %v", err)
	}
	if err := os.Rename(tmp, dir); err != nil && !errors.Is(err, os.ErrExist) {
		if _, serr := os.Stat(bin); serr != nil {
			t.Fatal(err)
		}
	}
	return bin
}

// manifest is one rendered Kubernetes object, as far as the test reads it.
type manifest struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name        string            `yaml:"name"`
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
	Spec struct {
		Replicas *int `yaml:"replicas"`
		TLS      []struct {
			SecretName string `yaml:"secretName"`
		} `yaml:"tls"`
		Template podTemplate `yaml:"template"`
	} `yaml:"spec"`
}

type podTemplate struct {
	Spec struct {
		SecurityContext struct {
			RunAsNonRoot bool `yaml:"runAsNonRoot"`
			RunAsUser    int  `yaml:"runAsUser"`
		} `yaml:"securityContext"`
		AutomountServiceAccountToken *bool `yaml:"automountServiceAccountToken"`
		Containers                   []struct {
			Args []string `yaml:"args"`
			Env  []struct {
				Name  string `yaml:"name"`
				Value string `yaml:"value"`
			} `yaml:"env"`
			LivenessProbe  *probe `yaml:"livenessProbe"`
			ReadinessProbe *probe `yaml:"readinessProbe"`
			Resources      struct {
				Requests map[string]string `yaml:"requests"`
			} `yaml:"resources"`
			SecurityContext struct {
				ReadOnlyRootFilesystem bool `yaml:"readOnlyRootFilesystem"`
			} `yaml:"securityContext"`
		} `yaml:"containers"`
		Volumes []struct {
			Projected *struct {
				Sources []struct {
					Secret struct {
						Name string `yaml:"name"`
					} `yaml:"secret"`
				} `yaml:"sources"`
			} `yaml:"projected"`
		} `yaml:"volumes"`
	} `yaml:"spec"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

// TestHelm lints the chart and renders it with the production-like values of
// helm/kontakt/ci: the serve and worker Deployments with probes on the operations port,
// non-root and read-only, the database URL from the existing Secret as a file, the
// migration Job as a pre-install/pre-upgrade hook, the Ingress with TLS; and it checks that
// rendering without the required values fails with a message naming them.
func TestHelm(t *testing.T) {
	h := helm(t)
	chart := filepath.Join("helm", "kontakt")
	values := filepath.Join(chart, "ci", "production-values.yaml")
	if out, err := run(t, "", nil, h, "lint", "--strict", chart, "-f", values); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err := run(t, "", nil, h, "template", "kontakt", chart, "-f", values, "--namespace", "kontakt",
		"--kube-version", "1.30.0", "--api-versions", "monitoring.coreos.com/v1/PodMonitor")
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]manifest{}
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var m manifest
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if m.Kind != "" {
			objs[m.Kind+"/"+m.Metadata.Name] = m
		}
	}
	for _, want := range []string{"Deployment/kontakt-serve", "Deployment/kontakt-worker", "Service/kontakt-serve",
		"Job/kontakt-migrate", "Ingress/kontakt", "PodDisruptionBudget/kontakt-serve", "PodMonitor/kontakt"} {
		if _, ok := objs[want]; !ok {
			t.Errorf("no %s among %v", want, slices.Sorted(maps.Keys(objs)))
		}
	}
	for kind := range objs {
		if strings.HasPrefix(kind, "Secret/") {
			t.Errorf("the chart creates %s: secrets come from existing Secrets only", kind)
		}
	}
	vars := configVars(t)
	for name, want := range map[string]string{"Deployment/kontakt-serve": "serve", "Deployment/kontakt-worker": "worker", "Job/kontakt-migrate": "migrate"} {
		m := objs[name]
		ps := m.Spec.Template.Spec
		if len(ps.Containers) != 1 {
			t.Fatalf("%s has %d containers", name, len(ps.Containers))
		}
		c := ps.Containers[0]
		if !slices.Equal(c.Args, []string{want}) {
			t.Errorf("%s runs %q", name, c.Args)
		}
		if !ps.SecurityContext.RunAsNonRoot || ps.SecurityContext.RunAsUser == 0 || !c.SecurityContext.ReadOnlyRootFilesystem ||
			ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
			t.Errorf("%s: not non-root, read-only and without a service account token", name)
		}
		if len(c.Resources.Requests) == 0 {
			t.Errorf("%s requests no resources", name)
		}
		env := map[string]string{}
		for _, e := range c.Env {
			checkVar(t, vars, name, e.Name)
			env[e.Name] = e.Value
		}
		if env["KONTAKT_DATABASE_URL_FILE"] == "" || env["KONTAKT_DATABASE_URL"] != "" {
			t.Errorf("%s does not read the database URL from a file", name)
		}
		if len(ps.Volumes) == 0 || ps.Volumes[0].Projected == nil || ps.Volumes[0].Projected.Sources[0].Secret.Name != "kontakt" {
			t.Errorf("%s does not mount the existing Secret", name)
		}
		if want == "migrate" {
			if m.Metadata.Annotations["helm.sh/hook"] != "pre-install,pre-upgrade" {
				t.Errorf("the migration Job is not a pre-install/pre-upgrade hook: %v", m.Metadata.Annotations)
			}
			continue
		}
		if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" || c.ReadinessProbe == nil ||
			c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.ReadinessProbe.HTTPGet.Port != "ops" {
			t.Errorf("%s probes: %+v %+v", name, c.LivenessProbe, c.ReadinessProbe)
		}
		if env["KONTAKT_METRICS_ADDR"] != "0.0.0.0:9090" || env["KONTAKT_TEMPORAL_TLS_CERT_FILE"] == "" {
			t.Errorf("%s: operations listener or Temporal mTLS missing: %v", name, env)
		}
		if want == "worker" && (env["KONTAKT_SMTP_HOST"] == "" || env["KONTAKT_SMTP_PASSWORD_FILE"] == "") {
			t.Errorf("the worker has no SMTP relay: %v", env)
		}
	}
	if r := objs["Deployment/kontakt-serve"].Spec.Replicas; r == nil || *r != 3 {
		t.Errorf("serve replicas %v, want the values' 3", r)
	}
	if tls := objs["Ingress/kontakt"].Spec.TLS; len(tls) != 1 || tls[0].SecretName != "kontakt-tls" {
		t.Errorf("ingress TLS %+v", tls)
	}

	// The defaults with only the required values: no Ingress, no TLS to Temporal, no SMTP
	// login (so no password file the Secret might not have).
	out, err = run(t, "", nil, h, "template", "kontakt", chart, "--kube-version", "1.30.0",
		"--set", "publicURL=https://kontakt.example.org,secrets.existingSecret=kontakt,temporal.address=temporal-frontend:7233,smtp.host=smtp.example.org,smtp.from=kontakt@example.org")
	if err != nil {
		t.Fatal(err)
	}
	for _, unwanted := range []string{"kind: Ingress", "KONTAKT_SMTP_PASSWORD_FILE", "KONTAKT_TEMPORAL_TLS", "kind: PodMonitor"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("the defaults render %s", unwanted)
		}
	}
	for _, wanted := range []string{"kind: PodDisruptionBudget", "kind: Job", "name: kontakt-worker"} {
		if !strings.Contains(out, wanted) {
			t.Errorf("the defaults do not render %s", wanted)
		}
	}

	// The defaults render nothing without the required values, and say which.
	_, err = run(t, "", nil, h, "template", "kontakt", chart, "--kube-version", "1.30.0")
	if err == nil || !strings.Contains(err.Error(), "is required") {
		t.Errorf("rendering without the required values: %v", err)
	}
}
