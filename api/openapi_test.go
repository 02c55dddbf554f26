package api

import (
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/auth"
)

// openapiDoc is the part of the OpenAPI document the tests look at.
type openapiDoc struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Title string `json:"title"`
	} `json:"info"`
	Security   []map[string][]string                 `json:"security"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		SecuritySchemes map[string]json.RawMessage `json:"securitySchemes"`
	} `json:"components"`
}

type openapiParam struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

type openapiOperation struct {
	OperationID string                     `json:"operationId"`
	Parameters  []openapiParam             `json:"parameters"`
	Responses   map[string]json.RawMessage `json:"responses"`
	Security    *[]map[string][]string     `json:"security"`
}

var openapiMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// publicOperations are served outside the authentication middleware.
var publicOperations = []string{"GET /healthz", "GET /api/openapi.json", "POST /api/session",
	"POST /public/forms/{key}/consents", "GET /public/confirm/{token}", "POST /public/confirm/{token}",
	"POST /public/forms/{key}/consent-status", "POST /public/forms/{key}/revocations",
	"GET /public/subject/{token}", "POST /public/subject/{token}",
	"POST /public/subject/{token}/erasure", "GET /public/rsvp/{token}", "POST /public/rsvp/{token}"}

func loadOpenAPI(t *testing.T) (openapiDoc, any) {
	t.Helper()
	b, err := openapiFS.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc openapiDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc, raw
}

// routerOperations walks the real router and returns its routes as "METHOD /path".
func routerOperations(t *testing.T) map[string]bool {
	t.Helper()
	h := NewHandler(Deps{
		Logger: slog.New(slog.DiscardHandler),
		Options: Options{
			PasswordParams: auth.Params{Memory: 1024, Time: 1, Threads: 1},
			MaxBodyBytes:   1 << 20,
		},
	})
	routes, ok := h.(chi.Routes)
	if !ok {
		t.Fatalf("NewHandler returned %T, not a chi.Routes", h)
	}
	ops := map[string]bool{}
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method == http.MethodHead || method == http.MethodOptions || method == "*" || method == "" {
			return nil
		}
		// Sub-routers can leave "/*" artefacts; the document spells paths without them.
		route = strings.ReplaceAll(route, "/*/", "/")
		route = strings.TrimSuffix(route, "/*")
		if route == "" {
			route = "/"
		}
		ops[method+" "+route] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

func TestOpenAPIMatchesRouter(t *testing.T) {
	doc, raw := loadOpenAPI(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if doc.Info.Title != "Kontakt API" {
		t.Errorf("info.title = %q, want Kontakt API", doc.Info.Title)
	}

	documented := map[string]openapiOperation{}
	for path, item := range doc.Paths {
		var pathParams []openapiParam
		if p, ok := item["parameters"]; ok {
			if err := json.Unmarshal(p, &pathParams); err != nil {
				t.Errorf("%s: parameters: %v", path, err)
			}
		}
		for key, v := range item {
			if !slices.Contains(openapiMethods, key) {
				continue
			}
			var op openapiOperation
			if err := json.Unmarshal(v, &op); err != nil {
				t.Errorf("%s %s: %v", key, path, err)
				continue
			}
			name := strings.ToUpper(key) + " " + path
			documented[name] = op
			checkPathParams(t, raw, name, path, append(slices.Clone(pathParams), op.Parameters...))
		}
	}

	served := routerOperations(t)
	if len(served) == 0 {
		t.Fatal("chi.Walk found no routes")
	}
	var missing, extra []string
	for op := range served {
		if _, ok := documented[op]; !ok {
			missing = append(missing, op)
		}
	}
	for op := range documented {
		if !served[op] {
			extra = append(extra, op)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, op := range missing {
		t.Errorf("served but not documented in openapi.json: %s", op)
	}
	for _, op := range extra {
		t.Errorf("documented in openapi.json but not served: %s", op)
	}

	seen := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(documented)) {
		op := documented[name]
		switch prev, dup := seen[op.OperationID]; {
		case op.OperationID == "":
			t.Errorf("%s: no operationId", name)
		case dup:
			t.Errorf("%s: operationId %q already used by %s", name, op.OperationID, prev)
		default:
			seen[op.OperationID] = name
		}
		if len(op.Responses) == 0 {
			t.Errorf("%s: no responses", name)
		}
		for code := range op.Responses {
			if n, err := strconv.Atoi(code); (err != nil || n < 100 || n > 599) && code != "default" {
				t.Errorf("%s: response key %q is not a status code", name, code)
			}
		}
		public := slices.Contains(publicOperations, name)
		switch {
		case public && (op.Security == nil || len(*op.Security) != 0):
			t.Errorf("%s: served without authentication, want security []", name)
		case !public && op.Security != nil:
			t.Errorf("%s: needs authentication, want the global security, not its own", name)
		}
	}

	for _, scheme := range []string{"bearerAuth", "cookieAuth"} {
		if _, ok := doc.Components.SecuritySchemes[scheme]; !ok {
			t.Errorf("components.securitySchemes lacks %s", scheme)
		}
		if !slices.ContainsFunc(doc.Security, func(req map[string][]string) bool { _, ok := req[scheme]; return ok }) {
			t.Errorf("global security lacks %s", scheme)
		}
	}

	refs := map[string]bool{}
	collectRefs(raw, refs)
	if len(refs) == 0 {
		t.Error("openapi.json has no $ref at all")
	}
	for _, ref := range slices.Sorted(maps.Keys(refs)) {
		if !strings.HasPrefix(ref, "#/components/") {
			t.Errorf("$ref %q does not point into components", ref)
			continue
		}
		if resolveRef(raw, ref) == nil {
			t.Errorf("$ref %q does not resolve", ref)
		}
	}
}

var pathParamRE = regexp.MustCompile(`\{([^{}]+)\}`)

// checkPathParams reports path template variables without a path parameter and path
// parameters without a template variable.
func checkPathParams(t *testing.T, raw any, name, path string, params []openapiParam) {
	t.Helper()
	declared := map[string]bool{}
	for _, p := range params {
		if p.Ref != "" {
			m, _ := resolveRef(raw, p.Ref).(map[string]any)
			p.Name, _ = m["name"].(string)
			p.In, _ = m["in"].(string)
		}
		if p.In == "path" {
			declared[p.Name] = true
		}
	}
	inPath := map[string]bool{}
	for _, m := range pathParamRE.FindAllStringSubmatch(path, -1) {
		inPath[m[1]] = true
		if !declared[m[1]] {
			t.Errorf("%s: path parameter {%s} is not declared", name, m[1])
		}
	}
	for p := range declared {
		if !inPath[p] {
			t.Errorf("%s: declares path parameter %q that is not in the path", name, p)
		}
	}
}

// collectRefs adds every "$ref" value under v to refs.
func collectRefs(v any, refs map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok && k == "$ref" {
				refs[s] = true
				continue
			}
			collectRefs(e, refs)
		}
	case []any:
		for _, e := range v {
			collectRefs(e, refs)
		}
	}
}

// resolveRef follows a local JSON pointer ("#/components/schemas/User") in doc; nil when
// it leads nowhere.
func resolveRef(doc any, ref string) any {
	ptr, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	cur := doc
	for _, tok := range strings.Split(ptr, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[tok]; !ok {
			return nil
		}
	}
	return cur
}
