package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// fieldsOf maps the JSON names of a struct's fields to the fields.
func fieldsOf(v reflect.Value) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = v.Field(i)
	}

	return out
}

func fieldNames(fields map[string]reflect.Value) []string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)

	return names
}

// decodeKey parses one configuration value into its field. Scalars arrive as
// plain strings; objects and arrays arrive JSON-encoded.
func decodeKey(key, raw string, field reflect.Value, p *Problems) {
	switch field.Kind() {
	case reflect.String:
		field.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			p.Add(key, raw, "true or false")

			return
		}
		field.SetBool(b)
	case reflect.Int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			p.Add(key, raw, "a whole number")

			return
		}
		field.SetInt(int64(n))
	case reflect.Struct:
		decodeObject(key, raw, field, p)
	default:
		p.Add(key, raw, "a supported value")
	}
}

// decodeObject decodes a JSON object on top of the field's defaults,
// reporting unknown keys and type mismatches by their full key.
func decodeObject(key, raw string, field reflect.Value, p *Problems) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &members); err != nil || members == nil {
		p.Add(key, raw, "an object")

		return
	}

	sub := fieldsOf(field)
	names := make([]string, 0, len(members))
	for n := range members {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f, ok := sub[n]
		if !ok {
			p.Unknown(key+"."+n, fieldNames(sub))

			continue
		}
		dec := json.NewDecoder(bytes.NewReader(members[n]))
		if err := dec.Decode(f.Addr().Interface()); err != nil {
			p.Add(key+"."+n, members[n], describeKind(f.Type(), err))
		}
	}
}

func describeKind(t reflect.Type, err error) string {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) && err != nil {
		return "valid JSON"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list, each " + describeKind(t.Elem(), nil)
	default:
		return fmt.Sprintf("a value of type %s", t.Kind())
	}
}
