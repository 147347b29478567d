package codextest

import (
	"bufio"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"time"
)

// Proxy is an HTTP proxy on loopback that forwards nothing: it records the
// request line of every connection ("CONNECT github.com:443 HTTP/1.1") and
// answers 403. Pointing the proxy variables at it proves that a program
// tried to reach nothing outside the machine — or shows what it tried.
type Proxy struct {
	ln       net.Listener
	mu       sync.Mutex
	attempts []string
	wg       sync.WaitGroup
}

// StartProxy starts a Proxy on a free loopback port.
func StartProxy() (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// URL is the proxy's address as the proxy variables take it.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// Attempts returns the request lines received so far, oldest first.
func (p *Proxy) Attempts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.attempts)
}

// Close stops the proxy and waits for its connections to end.
func (p *Proxy) Close() {
	_ = p.ln.Close()
	p.wg.Wait()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.refuse(c)
		}()
	}
}

// refuse records the connection's first line and answers 403.
func (p *Proxy) refuse(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReaderSize(c, 4096).ReadString('\n')
	line = strings.TrimSpace(line)
	if line == "" && err != nil {
		line = "(connection without a request: " + err.Error() + ")"
	}
	p.mu.Lock()
	p.attempts = append(p.attempts, line)
	p.mu.Unlock()
	_, _ = c.Write([]byte("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
}
