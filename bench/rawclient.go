package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"
)

// rawConn is the throughput run's client, lean as pgbench is beside the database: one
// HTTP/1.1 keep-alive connection, each request written from a template in one write, each
// answer read for its status and Content-Length only. It leaves its CPU to the server.
type rawConn struct {
	conn net.Conn
	r    *bufio.Reader
	buf  []byte
}

// dialRaw connects to target's host from the loopback source address ip.
func dialRaw(ctx context.Context, target string, ip net.IP) (*rawConn, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	return &rawConn{conn: c, r: bufio.NewReaderSize(c, 4096)}, nil
}

// post sends one JSON body to path with origin and returns the answer's status; the body
// of the answer is read and dropped.
func (c *rawConn) post(host, path, origin string, body []byte) (int, error) {
	c.buf = fmt.Appendf(c.buf[:0], "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nOrigin: %s\r\n"+
		"User-Agent: kontakt-bench/1.0\r\nContent-Length: %d\r\n\r\n", path, host, origin, len(body))
	c.buf = append(c.buf, body...)
	if err := c.conn.SetDeadline(time.Now().Add(60 * time.Second)); err != nil {
		return 0, err
	}
	if _, err := c.conn.Write(c.buf); err != nil {
		return 0, err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	// "HTTP/1.1 202 Accepted\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length := -1
	for {
		h, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(h) <= 2 { // the blank line
			break
		}
		if name, value, ok := bytes.Cut(h, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(value))); err != nil {
				return 0, fmt.Errorf("bad Content-Length %q", value)
			}
		}
	}
	if length < 0 {
		return 0, errors.New("answer without Content-Length")
	}
	_, err = c.r.Discard(length)
	return code, err
}

func (c *rawConn) close() error { return c.conn.Close() }

// consentBody is the JSON a form posts for email.
func consentBody(email string) []byte {
	return []byte(`{"email":"` + email + `","purposes":["newsletter"]}`)
}

// rawClient posts over a rawConn from a loopback source address of its own, moving to a
// fresh address after perAddress submissions as rotator does.
type rawClient struct {
	g          *loadGen
	target     string
	host, path string
	c          *rawConn
	used       int
}

func (g *loadGen) newRawClient(target string) (*rawClient, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	return &rawClient{g: g, target: target, host: u.Host, path: u.RequestURI()}, nil
}

func (r *rawClient) submit(ctx context.Context, email string) (int, error) {
	if r.c == nil || r.used == perAddress {
		if r.c != nil {
			r.c.close()
		}
		var err error
		if r.c, err = dialRaw(ctx, r.target, r.g.nextSource()); err != nil {
			r.c = nil
			return 0, err
		}
		r.used = 0
	}
	r.used++
	code, err := r.c.post(r.host, r.path, r.g.origin, consentBody(email))
	if err != nil {
		r.c.close()
		r.c = nil
	}
	return code, err
}

func (r *rawClient) close() {
	if r.c != nil {
		r.c.close()
	}
}
