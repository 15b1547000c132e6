package config

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Problems collects every configuration problem of a stack so that they are
// reported together rather than one per run.
type Problems struct {
	list []string
}

// Add records that key holds value, and says what is allowed instead.
func (p *Problems) Add(key string, value any, allowed string) {
	p.list = append(p.list, fmt.Sprintf("%s %s: want %s", key, quote(value), allowed))
}

// Missing records that a required key is absent.
func (p *Problems) Missing(key, allowed string) {
	p.list = append(p.list, fmt.Sprintf("%s is missing: want %s", key, allowed))
}

// Unknown records a key that no setting reads, most often a typo.
func (p *Problems) Unknown(key string, known []string) {
	p.list = append(p.list, fmt.Sprintf("%s is not a known key: want one of %s",
		key, strings.Join(known, ", ")))
}

// Err returns the problems as one error, or nil when there are none.
func (p *Problems) Err() error {
	if len(p.list) == 0 {
		return nil
	}

	return &Error{Problems: append([]string(nil), p.list...)}
}

// Error is a stack configuration that failed validation.
type Error struct {
	// Problems holds one sentence per problem, each naming the key, the
	// value and what is allowed.
	Problems []string
}

func (e *Error) Error() string {
	noun := "problems"
	if len(e.Problems) == 1 {
		noun = "problem"
	}

	return fmt.Sprintf("invalid stack configuration (%d %s):\n  - %s",
		len(e.Problems), noun, strings.Join(e.Problems, "\n  - "))
}

// maxQuoted is how much of a bad value a message repeats.
const maxQuoted = 120

func quote(v any) string {
	s := quoteFull(v)
	if len(s) > maxQuoted {
		return s[:maxQuoted] + fmt.Sprintf("… (%d characters)", len(s))
	}

	return s
}

func quoteFull(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case []string:
		return fmt.Sprintf("%q", v)
	case json.RawMessage:
		// Already JSON: strings carry their quotes, numbers have none.
		return string(v)
	default:
		return fmt.Sprintf("%v", v)
	}
}
