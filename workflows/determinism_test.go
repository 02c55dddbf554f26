package workflows

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDeterministicSource holds the package's code to the rules a workflow must keep
// (ARCHITECTURE.md): no store, database, HTTP or Temporal server imports, and no wall
// clock, sleeping, randomness or goroutines outside the workflow package's own.
func TestDeterministicSource(t *testing.T) {
	forbiddenImports := []string{
		"github.com/kontakt/kontakt/store", "github.com/jackc/pgx", "net/http",
		"go.temporal.io/server", "math/rand", "crypto/rand", "os",
	}
	forbiddenCalls := map[string]bool{"time.Now": true, "time.Sleep": true, "time.After": true,
		"time.NewTimer": true, "time.Tick": true, "time.Since": true, "time.Until": true}

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbiddenImports {
				if path == bad || strings.HasPrefix(path, bad+"/") {
					t.Errorf("%s imports %s", fset.Position(imp.Pos()), path)
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: go statement (use workflow.Go)", fset.Position(n.Pos()))
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && forbiddenCalls[x.Name+"."+n.Sel.Name] {
					t.Errorf("%s: %s.%s (use workflow.Now and timers)", fset.Position(n.Pos()), x.Name, n.Sel.Name)
				}
			}
			return true
		})
	}
}
