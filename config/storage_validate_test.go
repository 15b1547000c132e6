package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialflow/socialflow-infra/config"
)

func TestStorageAndCDNSettingsOfTheStackFilesAreValid(t *testing.T) {
	t.Parallel()

	for _, stack := range []string{"dev", "staging", "prod"} {
		_, err := config.Load(stackConfig(t, stack))
		assert.NoError(t, err, stack)
	}
}

func TestBadStorageAndCDNSettingsNameKeyValueAndWhatIsAllowed(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name    string
		stack   string
		key     string
		value   string
		problem string
	}{
		{
			name: "standard-ia-before-30-days", stack: "prod",
			key: "socialflow:storage", value: `{"infrequentAccessAfterDays": 29}`,
			problem: `socialflow:storage.infrequentAccessAfterDays 29: want 30 or more ` +
				`(S3 moves objects to Standard-IA no sooner)`,
		},
		{
			name: "old-versions-kept-zero-days", stack: "prod",
			key: "socialflow:storage", value: `{"noncurrentVersionExpirationDays": 0}`,
			problem: `socialflow:storage.noncurrentVersionExpirationDays 0: want 1 to 3650 days`,
		},
		{
			name: "cors-origin-with-trailing-slash", stack: "staging",
			key: "socialflow:storage", value: `{"corsOrigins": ["https://app.example.com/"]}`,
			problem: `socialflow:storage.corsOrigins[0] "https://app.example.com/": ` +
				`want an origin such as https://app.example.com: scheme and host only, ` +
				`no trailing slash (http only in dev)`,
		},
		{
			name: "cors-origin-with-path", stack: "prod",
			key: "socialflow:storage", value: `{"corsOrigins": ["https://example.com/app"]}`,
			problem: `socialflow:storage.corsOrigins[0] "https://example.com/app": want`,
		},
		{
			name: "cors-wildcard-origin", stack: "dev",
			key: "socialflow:storage", value: `{"corsOrigins": ["*"]}`,
			problem: `socialflow:storage.corsOrigins[0] "*": want`,
		},
		{
			name: "cors-plain-http-outside-dev", stack: "staging",
			key: "socialflow:storage", value: `{"corsOrigins": ["http://staging.example.com"]}`,
			problem: `socialflow:storage.corsOrigins[0] "http://staging.example.com": want`,
		},
		{
			name: "unknown-price-class", stack: "dev",
			key: "socialflow:cdn", value: `{"priceClass": "PriceClass_50"}`,
			problem: `socialflow:cdn.priceClass "PriceClass_50": want one of ` +
				`"PriceClass_100", "PriceClass_200", "PriceClass_All"`,
		},
		{
			name: "domain-without-certificate", stack: "prod",
			key: "socialflow:cdn", value: `{"priceClass": "PriceClass_All", ` +
				`"domain": "cdn.example.com"}`,
			problem: `socialflow:cdn.certificateArn "": want set together with cdn.domain, ` +
				`or both left empty`,
		},
		{
			name: "certificate-outside-us-east-1", stack: "prod",
			key: "socialflow:cdn", value: `{"priceClass": "PriceClass_All", ` +
				`"domain": "cdn.example.com", "certificateArn": ` +
				`"arn:aws:acm:eu-west-1:123456789012:certificate/` +
				`12345678-90ab-cdef-1234-567890abcdef"}`,
			problem: `socialflow:cdn.certificateArn "arn:aws:acm:eu-west-1:123456789012:` +
				`certificate/12345678-90ab-cdef-1234-567890abcdef": want an ACM certificate ` +
				`ARN in us-east-1, where CloudFront reads certificates`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			raw := stackConfig(t, tc.stack)
			raw[tc.key] = tc.value
			_, err := config.Load(raw)
			var cfgErr *config.Error
			require.True(t, errors.As(err, &cfgErr), "a configuration error, got %v", err)
			assert.Len(t, cfgErr.Problems, 1, "only the bad value is reported: %v",
				cfgErr.Problems)
			found := false
			for _, p := range cfgErr.Problems {
				if strings.HasPrefix(p, tc.problem) {
					found = true
				}
			}
			assert.True(t, found, "want a problem starting %q, got %q", tc.problem,
				cfgErr.Problems)
		})
	}
}

func TestGoodStorageAndCDNSettingsAreAccepted(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name, stack, key, value string
	}{
		{"plain-http-origin-in-dev", "dev",
			"socialflow:storage", `{"corsOrigins": ["http://localhost:5173"]}`},
		{"no-cors-origins", "prod", "socialflow:storage", `{"corsOrigins": []}`},
		{"custom-domain-with-us-east-1-certificate", "prod", "socialflow:cdn",
			`{"priceClass": "PriceClass_All", "domain": "cdn.example.com", ` +
				`"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/` +
				`12345678-90ab-cdef-1234-567890abcdef"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			raw := stackConfig(t, tc.stack)
			raw[tc.key] = tc.value
			_, err := config.Load(raw)
			assert.NoError(t, err)
		})
	}
}
