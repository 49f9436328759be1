package api

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxNameBytes bounds every user-chosen name (docs/API.md, "Names").
const MaxNameBytes = 256

// CheckName checks s against the one grammar of user-chosen names: actor
// names, namespaces, custom resource names and token names. A name is 1 to
// MaxNameBytes bytes of valid UTF-8 made of printable characters (letters,
// marks, numbers, punctuation, symbols and the ASCII space); it has no
// control or format characters (NUL, newlines, bidirectional overrides), no
// U+FFFD (the mark of a lossy conversion), no '/' or '\', no leading or
// trailing space, and is not "." or "..". So a name is safe in a URL path
// segment, a log line and a file name, and two different byte strings are
// never shown as the same name. kind ("actor name", "namespace", ...)
// starts the error message, which wraps ErrInvalidName.
func CheckName(kind, s string) error {
	bad := func(why string) error {
		return &NameError{Kind: kind, Name: s, Reason: why}
	}
	switch {
	case s == "":
		return bad("empty")
	case len(s) > MaxNameBytes:
		return bad(fmt.Sprintf("longer than %d bytes", MaxNameBytes))
	case !utf8.ValidString(s):
		return bad("not valid UTF-8")
	case s == "." || s == "..":
		return bad(`"." and ".." are not names`)
	case s[0] == ' ' || s[len(s)-1] == ' ':
		return bad("starts or ends with a space")
	}
	for _, r := range s {
		switch {
		case r == '/' || r == '\\':
			return bad(fmt.Sprintf("contains %q", r))
		case r == utf8.RuneError:
			return bad("contains U+FFFD (the replacement character)")
		case !unicode.IsPrint(r):
			return bad(fmt.Sprintf("contains the control or invisible character %U", r))
		}
	}
	return nil
}

// NameError is a name that breaks the grammar of CheckName.
type NameError struct {
	Kind   string // what the name names: "actor name", "namespace", ...
	Name   string // the name refused
	Reason string // the rule it breaks
}

// Error names the kind, quotes the name (escaped, cut at 64 bytes) and
// gives the reason.
func (e *NameError) Error() string {
	q := e.Name
	if len(q) > 64 {
		q = q[:64] + "..."
	}
	return fmt.Sprintf("invalid %s %q: %s", e.Kind, q, e.Reason)
}

// Unwrap returns ErrInvalidName.
func (e *NameError) Unwrap() error { return ErrInvalidName }
