package reports

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

//go:embed schema/conformance-v1.json schema/load-v1.json schema/capacity-v1.json
var schemaFS embed.FS

// JSONSchema returns the JSON Schema document of a schema identifier
// (ConformanceSchema or LoadSchema).
func JSONSchema(schema string) ([]byte, error) {
	switch schema {
	case ConformanceSchema:
		return schemaFS.ReadFile("schema/conformance-v1.json")
	case LoadSchema:
		return schemaFS.ReadFile("schema/load-v1.json")
	case CapacitySchema:
		return schemaFS.ReadFile("schema/capacity-v1.json")
	case ClientsSchema:
		return clientsSchemaJSON, nil
	}
	return nil, fmt.Errorf("no JSON Schema for %q", schema)
}

// ErrUnknownSchema is returned (wrapped) for a report whose schema field is
// missing or names a version this partcopy does not read.
var ErrUnknownSchema = errors.New("unknown report schema")

// DetectSchema returns the schema field of a JSON report.
func DetectSchema(data []byte) (string, error) {
	var head struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return "", fmt.Errorf("not a JSON report: %w", err)
	}
	if head.Schema == nil {
		return "", fmt.Errorf("%w: no \"schema\" field (expected %s or %s)", ErrUnknownSchema, ConformanceSchema, LoadSchema)
	}
	switch s := *head.Schema; s {
	case ConformanceSchema, LoadSchema, ClientsSchema:
		return s, nil
	default:
		hint := ""
		if strings.HasPrefix(s, "partcopy/") {
			hint = "; it may come from a newer partcopy"
		}
		return "", fmt.Errorf("%w %q (this partcopy reads %s and %s%s)", ErrUnknownSchema, s, ConformanceSchema, LoadSchema, hint)
	}
}

// ParseConformance decodes a conformance report, checking its schema field.
func ParseConformance(data []byte) (Conformance, error) {
	return parseReport[Conformance](data, ConformanceSchema)
}

// ParseLoad decodes a load report, checking its schema field.
func ParseLoad(data []byte) (Load, error) {
	return parseReport[Load](data, LoadSchema)
}

// ReadConformance reads a conformance report from path.
func ReadConformance(path string) (Conformance, error) {
	return readReport[Conformance](path, ConformanceSchema)
}

// ReadLoad reads a load report from path.
func ReadLoad(path string) (Load, error) {
	return readReport[Load](path, LoadSchema)
}

// parseReport decodes a report of schema want into T.
func parseReport[T any](data []byte, want string) (T, error) {
	var r T
	s, err := DetectSchema(data)
	if err != nil {
		return r, err
	}
	if s != want {
		return r, fmt.Errorf("%w: got %s, want %s", ErrUnknownSchema, s, want)
	}
	if err := strictUnmarshal(data, &r); err != nil {
		return r, fmt.Errorf("decode %s: %w", want, err)
	}
	return r, nil
}

// MaxInputSize bounds every file partcopy reads as input (reports to
// compare, render or merge, expectations, options files): a conformance
// report with every exchange recorded is a few MiB, and decoding takes
// about ten times the file's size in memory.
const MaxInputSize = 64 << 20

// ReadBounded reads at most max bytes of the regular file (or pipe) at
// path; a longer input is an error that says so, without reading the
// rest (/dev/zero never ends).
func ReadBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %d MiB: not a partcopy file", path, max>>20)
	}
	return data, nil
}

// readReport reads a report of schema want from path; errors name the path.
func readReport[T any](path, want string) (T, error) {
	data, err := ReadBounded(path, MaxInputSize)
	if err != nil {
		var zero T
		return zero, err
	}
	r, err := parseReport[T](data, want)
	if err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// strictUnmarshal rejects unknown fields: a v1 reader that silently drops
// fields would hide a report written by a different schema.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
