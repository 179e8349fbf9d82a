package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Files WriteAll writes into its directory.
const (
	FileConformanceJSON = "conformance.json"
	FileJUnit           = "junit.xml"
	FileConformanceMD   = "conformance.md"
	FileConformanceHTML = "conformance.html"
)

// WriteJSON writes c as indented JSON, redacted.
func WriteJSON(w io.Writer, c Conformance) error {
	return writeIndentedJSON(w, c.redacted())
}

// writeIndentedJSON encodes v without HTML escaping (bodies such as <Error>
// stay readable) and with a trailing newline.
func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	return nil
}

// WriteAll writes conformance.json, junit.xml, conformance.md and
// conformance.html into dir, creating it if needed. Every output is redacted.
func WriteAll(dir string, c Conformance) error {
	c = c.redacted()
	return writeFiles(dir, []fileWriter{
		{FileConformanceJSON, func(w io.Writer) error { return WriteJSON(w, c) }},
		{FileJUnit, func(w io.Writer) error { return WriteJUnit(w, c) }},
		{FileConformanceMD, func(w io.Writer) error { return WriteMarkdown(w, c) }},
		{FileConformanceHTML, func(w io.Writer) error { return WriteHTML(w, c) }},
	})
}

type fileWriter struct {
	name  string
	write func(io.Writer) error
}

// writeFiles renders each file in memory first, so a rendering error leaves
// no half-written file behind.
func writeFiles(dir string, files []fileWriter) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create report directory: %w", err)
	}
	for _, f := range files {
		var buf bytes.Buffer
		if err := f.write(&buf); err != nil {
			return fmt.Errorf("render %s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	return nil
}
