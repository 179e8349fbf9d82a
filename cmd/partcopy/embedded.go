package main

import (
	"context"
	"time"

	"github.com/partcopy/partcopy/internal/refserver"
	"github.com/partcopy/partcopy/internal/s3call"
)

// embeddedEndpoint is the reference endpoint started in process when no
// --endpoint is given.
type embeddedEndpoint struct {
	run  *refserver.Running
	opts refserver.Options
}

// startEmbedded starts the reference endpoint on a free loopback port.
// restoreDelay makes "restore in progress" (D05) observable.
func startEmbedded(ctx context.Context, restoreDelay time.Duration) (*embeddedEndpoint, error) {
	run, err := refserver.Start(ctx, refserver.Options{RestoreDelay: restoreDelay}, "127.0.0.1:0", "", "")
	if err != nil {
		return nil, usageError("starting the embedded endpoint: %v", err)
	}
	return &embeddedEndpoint{run: run, opts: run.Server.Options()}, nil
}

func (e *embeddedEndpoint) URL() string { return e.run.URL }

func (e *embeddedEndpoint) Close() { _ = e.run.Close() }

func (e *embeddedEndpoint) main() s3call.Credentials {
	return s3call.Credentials{AccessKey: e.opts.Main.AccessKey, SecretKey: e.opts.Main.SecretKey}
}

func (e *embeddedEndpoint) alt() s3call.Credentials {
	return s3call.Credentials{AccessKey: e.opts.Alt.AccessKey, SecretKey: e.opts.Alt.SecretKey}
}

func (e *embeddedEndpoint) temp() s3call.Credentials {
	return s3call.Credentials{AccessKey: e.opts.Temp.AccessKey, SecretKey: e.opts.Temp.SecretKey, SessionToken: e.opts.Temp.SessionToken}
}
