// vcsim for capi-fn's tests: govmomi's vCenter simulator (Debian's golang-github-vmware-govmomi-dev, 0.24.2),
// the default VPX inventory on 127.0.0.1 (HTTPS with Go's httptest localhost certificate, or -tls=false).
// It mirrors govmomi's vcsim/main.go, which Debian does not ship; build it with build.sh (offline, GOPATH mode).
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	// The storage policy (PBM) endpoint at /pbm/sdk: its profiles and placement solver (storagePolicyName).
	_ "github.com/vmware/govmomi/pbm/simulator"
	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator"
)

func main() {
	listen := flag.String("l", "127.0.0.1:8989", "listen address")
	useTLS := flag.Bool("tls", true, "serve https")
	user := flag.String("username", "user", "user name Login accepts")
	pass := flag.String("password", "pass", "password Login accepts")
	flag.Parse()
	model := simulator.VPX()
	if err := model.Create(); err != nil {
		log.Fatal(err)
	}
	model.Service.RegisterEndpoints = true
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*user, *pass)}
	if *useTLS {
		model.Service.TLS = new(tls.Config)
	}
	s := model.Service.NewServer()
	fmt.Printf("export GOVC_URL=%s GOVC_SIM_PID=%d\n", s.URL, os.Getpid())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	model.Remove()
	s.Close()
}
