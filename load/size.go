package load

import "github.com/partcopy/partcopy/internal/size"

// ParseSize parses a byte size: "8MiB", "1GiB", "512KiB", "5MB" (decimal),
// "1.5GiB", or a plain number of bytes (the syntax of internal/size, shared
// by every size flag, environment variable and YAML key).
func ParseSize(s string) (int64, error) { return size.Parse(s) }

// FormatSize renders n bytes with a binary unit ("8MiB", "1.5GiB", "100B").
func FormatSize(n int64) string { return size.Format(n) }
