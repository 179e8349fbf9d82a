// Command nulls3d serves the do-nothing S3 endpoint (load/nulls3) on an
// address, for load/bench/generators.sh: it answers every request the
// load scenario makes with a fixed reply and does no work, so that what is
// measured is the client. With -tls it serves HTTPS with a fresh
// self-signed certificate for 127.0.0.1, written as PEM to -ca-out for the
// clients to trust. It prints its URL on the first line.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/partcopy/partcopy/load/nulls3"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	useTLS := flag.Bool("tls", false, "serve HTTPS with a self-signed certificate")
	caOut := flag.String("ca-out", "", "with -tls: write the certificate (PEM) here")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fail(err)
	}
	scheme := "http"
	if *useTLS {
		cert, pemBytes, err := selfSigned()
		if err != nil {
			fail(err)
		}
		if *caOut != "" {
			if err := os.WriteFile(*caOut, pemBytes, 0o644); err != nil {
				fail(err)
			}
		}
		// HTTP/1.1 only: the generators compared all speak it.
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	fmt.Printf("%s://%s\n", scheme, ln.Addr())
	srv := &http.Server{Handler: nulls3.Handler(), ReadHeaderTimeout: time.Minute}
	if err := srv.Serve(ln); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "nulls3d:", err)
	os.Exit(2)
}

// selfSigned returns a certificate for 127.0.0.1 and localhost, valid for
// a day, and its PEM.
func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "nulls3d"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pemBytes, nil
}
