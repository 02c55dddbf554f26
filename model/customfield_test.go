package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestFieldDefValidate(t *testing.T) {
	tests := []struct {
		name      string
		def       FieldDef
		wantField string // "" when valid
	}{
		{"text", FieldDef{Key: "ico", Label: "IČO", Type: FieldText}, ""},
		{"number required", FieldDef{Key: "employees", Label: "Zaměstnanci", Type: FieldNumber, Required: true}, ""},
		{"date", FieldDef{Key: "contract_end", Label: "Konec smlouvy", Type: FieldDate}, ""},
		{"choice", FieldDef{Key: "region", Label: "Kraj", Type: FieldChoice, Choices: []string{"Praha", "Jihomoravský"}}, ""},
		{"key 40 chars", FieldDef{Key: "a" + strings.Repeat("b_9", 13), Label: "x", Type: FieldText}, ""},
		{"label 100 runes", FieldDef{Key: "a", Label: strings.Repeat("ř", 100), Type: FieldText}, ""},
		{"empty key", FieldDef{Key: "", Label: "x", Type: FieldText}, "key"},
		{"key uppercase", FieldDef{Key: "Ico", Label: "x", Type: FieldText}, "key"},
		{"key starts with digit", FieldDef{Key: "1a", Label: "x", Type: FieldText}, "key"},
		{"key starts with underscore", FieldDef{Key: "_a", Label: "x", Type: FieldText}, "key"},
		{"key hyphen", FieldDef{Key: "a-b", Label: "x", Type: FieldText}, "key"},
		{"key 41 chars", FieldDef{Key: "a" + strings.Repeat("b", 40), Label: "x", Type: FieldText}, "key"},
		{"key trailing newline", FieldDef{Key: "a\n", Label: "x", Type: FieldText}, "key"},
		{"empty label", FieldDef{Key: "a", Label: "", Type: FieldText}, "label"},
		{"blank label", FieldDef{Key: "a", Label: "  ", Type: FieldText}, "label"},
		{"label too long", FieldDef{Key: "a", Label: strings.Repeat("ř", 101), Type: FieldText}, "label"},
		{"label control char", FieldDef{Key: "a", Label: "a\nb", Type: FieldText}, "label"},
		{"unknown type", FieldDef{Key: "a", Label: "x", Type: "bool"}, "type"},
		{"empty type", FieldDef{Key: "a", Label: "x"}, "type"},
		{"choice without choices", FieldDef{Key: "a", Label: "x", Type: FieldChoice}, "choices"},
		{"duplicate choices", FieldDef{Key: "a", Label: "x", Type: FieldChoice, Choices: []string{"A", "B", "A"}}, "choices"},
		{"empty choice", FieldDef{Key: "a", Label: "x", Type: FieldChoice, Choices: []string{"A", ""}}, "choices"},
		{"choice too long", FieldDef{Key: "a", Label: "x", Type: FieldChoice, Choices: []string{strings.Repeat("x", 101)}}, "choices"},
		{"choices on text", FieldDef{Key: "a", Label: "x", Type: FieldText, Choices: []string{"A"}}, "choices"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.def.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate(): %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.wantField {
				t.Fatalf("Validate() = %v, want a *FieldError for %q", err, tt.wantField)
			}
		})
	}
}

func TestFieldDefJSON(t *testing.T) {
	d := FieldDef{Key: "region", Label: "Kraj", Type: FieldChoice, Choices: []string{"Praha"}, Required: true}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"key":"region","label":"Kraj","type":"choice","choices":["Praha"],"required":true}`
	if string(b) != want {
		t.Fatalf("json.Marshal = %s, want %s", b, want)
	}
}

func TestFieldErrorError(t *testing.T) {
	err := &FieldError{Field: "ico", Msg: "is required"}
	if got, want := err.Error(), "model: ico: is required"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

func TestFieldDefNormalize(t *testing.T) {
	text := FieldDef{Key: "note", Label: "Poznámka", Type: FieldText}
	number := FieldDef{Key: "n", Label: "Počet", Type: FieldNumber}
	date := FieldDef{Key: "d", Label: "Datum", Type: FieldDate}
	choice := FieldDef{Key: "c", Label: "Kraj", Type: FieldChoice, Choices: []string{"Praha", "Brno "}}
	required := FieldDef{Key: "r", Label: "Povinné", Type: FieldText, Required: true}
	tests := []struct {
		name    string
		def     FieldDef
		in      any
		want    any
		wantErr bool
	}{
		{"text trimmed", text, "  ahoj  ", "ahoj", false},
		{"text multi-line", text, "a\r\n\tb", "a\r\n\tb", false},
		{"text 2000 runes", text, strings.Repeat("ž", 2000), strings.Repeat("ž", 2000), false},
		{"text too long", text, strings.Repeat("ž", 2001), nil, true},
		{"text nul", text, "a\x00b", nil, true},
		{"text invalid utf8", text, "a\xffb", nil, true},
		{"text number", text, 1.0, nil, true},
		{"text bool", text, true, nil, true},
		{"text nil unset", text, nil, nil, false},
		{"text empty unset", text, "", nil, false},
		{"text blank unset", text, "   ", nil, false},
		{"number float", number, 12.5, 12.5, false},
		{"number negative zero", number, math.Copysign(0, -1), math.Copysign(0, -1), false},
		{"number json.Number", number, json.Number("42"), 42.0, false},
		{"number json.Number exp", number, json.Number("-1.5e3"), -1500.0, false},
		{"number string", number, " 3.14 ", 3.14, false},
		{"number string plus", number, "+7", 7.0, false},
		{"number string empty unset", number, "", nil, false},
		{"number NaN", number, math.NaN(), nil, true},
		{"number Inf", number, math.Inf(1), nil, true},
		{"number string NaN", number, "NaN", nil, true},
		{"number string inf", number, "inf", nil, true},
		{"number string hex", number, "0x10", nil, true},
		{"number string underscore", number, "1_000", nil, true},
		{"number string comma", number, "3,14", nil, true},
		{"number string trailing dot", number, "3.", nil, true},
		{"number string overflow", number, "1e400", nil, true},
		{"number json.Number junk", number, json.Number("abc"), nil, true},
		{"number bool", number, false, nil, true},
		{"number map", number, map[string]any{}, nil, true},
		{"date", date, "2025-02-28", "2025-02-28", false},
		{"date trimmed", date, " 2024-02-29 ", "2024-02-29", false},
		{"date not leap", date, "2025-02-29", nil, true},
		{"date short month", date, "2025-2-28", nil, true},
		{"date czech form", date, "28. 2. 2025", nil, true},
		{"date rfc3339", date, "2025-02-28T00:00:00Z", nil, true},
		{"date number", date, 20250228.0, nil, true},
		{"date empty unset", date, "", nil, false},
		{"choice", choice, "Praha", "Praha", false},
		{"choice exact with space", choice, "Brno ", "Brno ", false},
		{"choice trimmed is not exact", choice, "Brno", nil, true},
		{"choice case matters", choice, "praha", nil, true},
		{"choice unknown", choice, "Ostrava", nil, true},
		{"choice number", choice, 1.0, nil, true},
		{"choice empty unset", choice, "", nil, false},
		{"required set", required, "x", "x", false},
		{"required nil", required, nil, nil, true},
		{"required empty", required, "", nil, true},
		{"required blank", required, "  ", nil, true},
		{"unknown type", FieldDef{Key: "u", Type: "bool"}, "x", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.def.Normalize(tt.in)
			if tt.wantErr {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != tt.def.Key {
					t.Fatalf("Normalize(%#v) = %#v, %v; want a *FieldError for %q", tt.in, got, err, tt.def.Key)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize(%#v): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Normalize(%#v) = %#v, want %#v", tt.in, got, tt.want)
			}
			if f, ok := got.(float64); ok && math.Signbit(f) != math.Signbit(tt.want.(float64)) {
				t.Fatalf("Normalize(%#v) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

// testDefs is the address book schema used by the ValidateCustomFields tests.
var testDefs = []FieldDef{
	{Key: "ico", Label: "IČO", Type: FieldText, Required: true},
	{Key: "employees", Label: "Zaměstnanci", Type: FieldNumber},
	{Key: "contract_end", Label: "Konec smlouvy", Type: FieldDate},
	{Key: "region", Label: "Kraj", Type: FieldChoice, Choices: []string{"Praha", "Jihomoravský"}},
}

func TestValidateCustomFields(t *testing.T) {
	tests := []struct {
		name      string
		in        map[string]any
		want      map[string]any
		wantField string // "" when valid
	}{
		{
			"all set",
			map[string]any{"ico": " 12345678 ", "employees": json.Number("250"), "contract_end": "2026-12-31", "region": "Praha"},
			map[string]any{"ico": "12345678", "employees": 250.0, "contract_end": "2026-12-31", "region": "Praha"},
			"",
		},
		{
			"unset values dropped",
			map[string]any{"ico": "12345678", "employees": nil, "contract_end": "", "region": ""},
			map[string]any{"ico": "12345678"},
			"",
		},
		{"unknown key", map[string]any{"ico": "1", "vat": "CZ1"}, nil, "vat"},
		{"unknown key reported first in order", map[string]any{"zz": 1.0, "aa": 1.0}, nil, "aa"},
		{"required missing", map[string]any{"employees": 3.0}, nil, "ico"},
		{"required empty", map[string]any{"ico": ""}, nil, "ico"},
		{"nil map", nil, nil, "ico"},
		{"bad number", map[string]any{"ico": "1", "employees": "many"}, nil, "employees"},
		{"bad date", map[string]any{"ico": "1", "contract_end": "31.12.2026"}, nil, "contract_end"},
		{"bad choice", map[string]any{"ico": "1", "region": "Plzeňský"}, nil, "region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateCustomFields(testDefs, tt.in)
			if tt.wantField != "" {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != tt.wantField {
					t.Fatalf("ValidateCustomFields(%v) = %v, %v; want a *FieldError for %q", tt.in, got, err, tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatalf("ValidateCustomFields(%v): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ValidateCustomFields(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
	t.Run("no defs", func(t *testing.T) {
		got, err := ValidateCustomFields(nil, nil)
		if err != nil || len(got) != 0 {
			t.Fatalf("ValidateCustomFields(nil, nil) = %v, %v; want empty", got, err)
		}
	})
}

func TestTestDefsValid(t *testing.T) {
	for _, d := range testDefs {
		t.Run(d.Key, func(t *testing.T) {
			if err := d.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func FuzzValidateCustomFields(f *testing.F) {
	for _, s := range []string{
		`{"ico":"12345678","employees":250,"contract_end":"2026-12-31","region":"Praha"}`,
		`{"ico":" x ","employees":"1e3","region":""}`,
		`{"ico":"x","employees":-0}`,
		`{"ico":"x","employees":1e400}`,
		`{"ico":null}`,
		`{"vat":"CZ1"}`,
		`[]`,
		`{"ico":"x","contract_end":"2024-02-30"}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, useNumber bool) {
		dec := json.NewDecoder(bytes.NewReader(data))
		if useNumber {
			dec.UseNumber()
		}
		var values map[string]any
		if dec.Decode(&values) != nil {
			return
		}
		got, err := ValidateCustomFields(testDefs, values)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			return
		}
		for k, v := range got {
			if v == nil {
				t.Fatalf("result holds nil for %q", k)
			}
		}
		// Normalised values validate to themselves, directly and after a
		// round trip through JSON as they would be stored.
		again, err := ValidateCustomFields(testDefs, got)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("ValidateCustomFields(%v) = %v, %v; want it unchanged", got, again, err)
		}
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("json.Marshal(%v): %v", got, err)
		}
		var stored map[string]any
		if err := json.Unmarshal(b, &stored); err != nil {
			t.Fatal(err)
		}
		again, err = ValidateCustomFields(testDefs, stored)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("after a JSON round trip ValidateCustomFields(%s) = %v, %v; want %v", b, again, err, got)
		}
	})
}
