package s3call

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	cases := []struct {
		raw    string
		want   string // the URL's String(); "" for an error
		errHas string
	}{
		{raw: "http://127.0.0.1:9000", want: "http://127.0.0.1:9000"},
		{raw: "https://s3.example.com", want: "https://s3.example.com"},
		{raw: "https://s3.example.com/", want: "https://s3.example.com"},
		{raw: "http://[::1]:9000", want: "http://[::1]:9000"},
		{raw: "", errHas: "no endpoint"},
		{raw: "ftp://127.0.0.1:21", errHas: "scheme"},
		{raw: "s3://bucket", errHas: "scheme"},
		{raw: "127.0.0.1:9000", errHas: "bad endpoint"},
		{raw: "localhost:9000", errHas: "scheme"},
		{raw: "http://", errHas: "no host"},
		{raw: "http:///bucket", errHas: "no host"},
		{raw: "http://127.0.0.1:9000/bucket", errHas: "path"},
		{raw: "http://127.0.0.1:9000/bucket/", errHas: "path"},
		{raw: "http://127.0.0.1:9000?x=1", errHas: "query"},
		{raw: "http://127.0.0.1:9000#frag", errHas: "fragment"},
		{raw: " http://127.0.0.1", errHas: "bad endpoint"},
		{raw: "http://127.0.0.1:port", errHas: "port"},
		{raw: "http://AKIAUSER:hunter2secret@127.0.0.1:9000", errHas: "credentials"},
		{raw: "http://AKIAUSER@127.0.0.1:9000", errHas: "credentials"},
		{raw: "ftp://AKIAUSER:hunter2secret@127.0.0.1", errHas: "credentials"},
		{raw: "http://AKIAUSER:hunter2secret@127.0.0.1:badport", errHas: "port"},
		{raw: "AKIAUSER:hunter2secret@127.0.0.1", errHas: "bad endpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			u, err := ParseEndpoint(tc.raw)
			if tc.want != "" {
				if err != nil || u.String() != tc.want {
					t.Fatalf("ParseEndpoint(%q) = %v, %v; want %s", tc.raw, u, err, tc.want)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("ParseEndpoint(%q) = %v, %v; want a *ConfigError", tc.raw, u, err)
			}
			if !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("error %q does not mention %q", err, tc.errHas)
			}
			if strings.Contains(err.Error(), "hunter2secret") {
				t.Errorf("error repeats the password: %q", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

// awsEnv lists the variables that steer aws-sdk-go-v2's configuration; the
// tests unset them all so the machine's own setup cannot leak in.
var awsEnv = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY", "AWS_SECRET_KEY",
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
	"AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT",
}

// isolateAWS unsets every AWS variable, points the shared files at files
// holding credentials and config, and turns instance metadata off.
func isolateAWS(t *testing.T, credentials, config string) {
	t.Helper()
	for _, k := range awsEnv {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	credFile, confFile := filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
	if err := os.WriteFile(credFile, []byte(credentials), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(confFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credFile)
	t.Setenv("AWS_CONFIG_FILE", confFile)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

const sharedCredentials = `[default]
aws_access_key_id = AKDEFAULT
aws_secret_access_key = SKDEFAULT

[alt]
aws_access_key_id = AKALT
aws_secret_access_key = SKALT
aws_session_token = TKALT
`

const sharedConfig = `[default]
region = us-west-2

[profile alt]
region = eu-west-1
endpoint_url = http://127.0.0.1:7000
services = altsvc

[profile plain]
region = ap-south-1
endpoint_url = http://127.0.0.1:7100

[services altsvc]
s3 =
  endpoint_url = http://127.0.0.1:7001

[profile failing-process]
credential_process = /bin/sh -c 'echo token expired >&2; exit 3'

[profile sso-expired]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly

[sso-session corp]
sso_region = us-east-1
sso_start_url = https://corp.invalid/start
`

func TestResolve(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		flags   Resolved
		profile string
		want    Resolved
		errHas  string
	}{
		{
			name: "environment",
			env: map[string]string{"AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "SKENV", "AWS_SESSION_TOKEN": "TKENV",
				"AWS_REGION": "eu-central-1", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000"},
			want: Resolved{Endpoint: "http://127.0.0.1:9000", Region: "eu-central-1", Credentials: Credentials{"AKENV", "SKENV", "TKENV"}},
		},
		{
			name: "general endpoint variable",
			env:  map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9100"},
			want: Resolved{Endpoint: "http://127.0.0.1:9100", Region: "us-west-2", Credentials: Credentials{"AKDEFAULT", "SKDEFAULT", ""}},
		},
		{
			name:   "AWS_PROFILE naming a missing profile",
			env:    map[string]string{"AWS_PROFILE": "missing-profile"},
			errHas: "missing-profile",
		},
		{
			name: "S3 endpoint variable wins over the general one",
			env:  map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9100", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9200"},
			want: Resolved{Endpoint: "http://127.0.0.1:9200", Region: "us-west-2", Credentials: Credentials{"AKDEFAULT", "SKDEFAULT", ""}},
		},
		{
			name: "flags win over the environment",
			env: map[string]string{"AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "SKENV", "AWS_SESSION_TOKEN": "TKENV",
				"AWS_REGION": "eu-central-1", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000", "AWS_PROFILE": "alt"},
			flags: Resolved{Endpoint: "http://127.0.0.1:1", Region: "ap-northeast-1", Credentials: Credentials{AccessKey: "AKFLAG", SecretKey: "SKFLAG"}},
			want:  Resolved{Endpoint: "http://127.0.0.1:1", Region: "ap-northeast-1", Credentials: Credentials{AccessKey: "AKFLAG", SecretKey: "SKFLAG"}},
		},
		{
			name:  "a region flag alone; the rest from the environment",
			env:   map[string]string{"AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "SKENV", "AWS_REGION": "eu-central-1"},
			flags: Resolved{Region: "sa-east-1"},
			want:  Resolved{Region: "sa-east-1", Credentials: Credentials{AccessKey: "AKENV", SecretKey: "SKENV"}},
		},
		{
			name: "default profile from the shared files",
			want: Resolved{Region: "us-west-2", Credentials: Credentials{AccessKey: "AKDEFAULT", SecretKey: "SKDEFAULT"}},
		},
		{
			name: "AWS_PROFILE",
			env:  map[string]string{"AWS_PROFILE": "alt"},
			want: Resolved{Endpoint: "http://127.0.0.1:7001", Region: "eu-west-1", Credentials: Credentials{"AKALT", "SKALT", "TKALT"}},
		},
		{
			name:    "profile argument wins over AWS_PROFILE",
			env:     map[string]string{"AWS_PROFILE": "default"},
			profile: "alt",
			want:    Resolved{Endpoint: "http://127.0.0.1:7001", Region: "eu-west-1", Credentials: Credentials{"AKALT", "SKALT", "TKALT"}},
		},
		{
			name:    "profile endpoint_url without a services section",
			profile: "plain",
			want:    Resolved{Endpoint: "http://127.0.0.1:7100", Region: "ap-south-1"},
		},
		{
			name: "environment keys win over the profile's",
			env:  map[string]string{"AWS_PROFILE": "alt", "AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "SKENV"},
			want: Resolved{Endpoint: "http://127.0.0.1:7001", Region: "eu-west-1", Credentials: Credentials{AccessKey: "AKENV", SecretKey: "SKENV"}},
		},
		{
			name:    "unknown profile",
			profile: "nope",
			errHas:  "nope",
		},
		{
			// A configured source that fails is the user's error to fix,
			// with its cause, never "no credentials".
			name:    "failing credential_process",
			profile: "failing-process",
			errHas:  "exit status 3",
		},
		{
			name:    "SSO session without a cached token",
			profile: "sso-expired",
			errHas:  "SSO token",
		},
		{
			name:   "access key flag without a secret",
			env:    map[string]string{"AWS_SECRET_ACCESS_KEY": "SKENV", "AWS_ACCESS_KEY_ID": "AKENV"},
			flags:  Resolved{Credentials: Credentials{AccessKey: "AKFLAG"}},
			errHas: "secret key",
		},
		{
			name:   "secret key flag without an access key",
			flags:  Resolved{Credentials: Credentials{SecretKey: "SKFLAG"}},
			errHas: "access key",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolateAWS(t, sharedCredentials, sharedConfig)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			got, err := Resolve(context.Background(), tc.flags, tc.profile)
			if tc.errHas != "" {
				var ce *ConfigError
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("Resolve = %+v, %v; want a *ConfigError mentioning %q", got, err, tc.errHas)
				}
				for _, secret := range []string{"SKFLAG", "SKENV", "SKALT", "SKDEFAULT", "TKALT"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q repeats a secret", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Where the SDK found the credentials: set exactly when the
			// flags gave none (the CLI names it in credential errors).
			if fromFlags := tc.flags.Credentials.AccessKey != ""; !got.Credentials.IsZero() && (got.CredentialSource == "") != fromFlags {
				t.Errorf("CredentialSource %q with credentials from flags %v", got.CredentialSource, fromFlags)
			}
			got.CredentialSource = ""
			if got != tc.want {
				t.Errorf("Resolve =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestResolveAnonymous(t *testing.T) {
	isolateAWS(t, "", "")
	got, err := Resolve(context.Background(), Resolved{Endpoint: "http://127.0.0.1:9000"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Credentials.IsZero() || got.Endpoint != "http://127.0.0.1:9000" {
		t.Errorf("nothing configured: %+v, want anonymous", got)
	}
}

func TestCredentialsSecrets(t *testing.T) {
	if s := (Credentials{AccessKey: "AK"}).Secrets(); len(s) != 0 {
		t.Errorf("Secrets() = %q for an access key alone", s)
	}
	s := Credentials{AccessKey: "AK", SecretKey: "SK", SessionToken: "TK"}.Secrets()
	if strings.Join(s, ",") != "SK,TK" {
		t.Errorf("Secrets() = %q", s)
	}
}
