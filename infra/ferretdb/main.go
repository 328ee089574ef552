// Command ferretdb runs the embeddable FerretDB 1.x package as a standalone server.
//
// Upstream's cmd/ferretdb, built from the module cache, panics at start because
// its build/version/version.txt is generated and absent; the embeddable package
// skips that check when FerretDB is not the main module.
//
// FerretDB 1.x applies every update as "read the document, change it in Go,
// write it back" without a lock, so concurrent $inc, findAndModify or
// conditional updates on one document lose writes. Unless -serialize-writes=false,
// clients therefore reach FerretDB through a small wire proxy that lets one
// insert/update/delete/findAndModify through at a time, which restores
// MongoDB's per-document atomicity.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func main() {
	listen := flag.String("listen-addr", env("FERRETDB_LISTEN_ADDR", "127.0.0.1:27017"), "TCP listen address")
	handler := flag.String("handler", env("FERRETDB_HANDLER", "sqlite"), "backend: sqlite or postgresql")
	sqliteURL := flag.String("sqlite-url", env("FERRETDB_SQLITE_URL", "file:data/"), "SQLite URI of an existing directory")
	pgURL := flag.String("postgresql-url", env("FERRETDB_POSTGRESQL_URL", "postgres://127.0.0.1:5432/ferretdb"), "PostgreSQL URL")
	serialize := flag.Bool("serialize-writes", env("FERRETDB_SERIALIZE_WRITES", "true") == "true", "run write commands one at a time")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	fail := func(msg string, err error) {
		logger.Error(msg, "error", err)
		os.Exit(1)
	}

	listener := ferretdb.ListenerConfig{TCP: *listen}
	var front net.Listener
	if *serialize {
		// FerretDB itself listens on a loopback port of its own choosing; clients get the proxy.
		listener.TCP = "127.0.0.1:0"
		var err error
		if front, err = net.Listen("tcp", *listen); err != nil {
			fail("listen", err)
		}
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      listener,
		Logger:        logger,
		Handler:       *handler,
		SQLiteURL:     *sqliteURL,
		PostgreSQLURL: *pgURL,
	})
	if err != nil {
		fail("start failed", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if front != nil {
		go func() {
			<-ctx.Done()
			front.Close()
		}()
		backend, err := url.Parse(f.MongoDBURI())
		if err != nil {
			fail("backend address", err)
		}
		go serve(front, backend.Host)
	}

	logger.Info("ready", "listen", *listen, "handler", *handler, "serialize-writes", *serialize)
	if err := f.Run(ctx); err != nil {
		fail("run failed", err)
	}
}

// writeLock admits one write command at a time across all connections.
var writeLock sync.Mutex

var writeCommands = map[string]bool{
	"insert": true, "update": true, "delete": true, "findAndModify": true, "findandmodify": true,
}

const opMsg = 2013

func serve(front net.Listener, backend string) {
	for {
		conn, err := front.Accept()
		if err != nil {
			return
		}
		go relay(conn, backend)
	}
}

// relay forwards one client connection; FerretDB answers every request exactly once.
func relay(client net.Conn, backend string) {
	defer client.Close()
	server, err := net.Dial("tcp", backend)
	if err != nil {
		return
	}
	defer server.Close()
	fromClient, fromServer := bufio.NewReader(client), bufio.NewReader(server)

	for {
		req, err := readMessage(fromClient)
		if err != nil {
			return
		}
		write := isWrite(req)
		if write {
			writeLock.Lock()
		}
		if _, err = server.Write(req); err == nil {
			var resp []byte
			if resp, err = readMessage(fromServer); err == nil && !moreToCome(req) {
				// FerretDB also answers moreToCome (w:0) requests; the client expects no reply.
				_, err = client.Write(resp)
			}
		}
		if write {
			writeLock.Unlock()
		}
		if err != nil {
			return
		}
	}
}

func readMessage(r io.Reader) ([]byte, error) {
	var header [4]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}
	size := binary.LittleEndian.Uint32(header[:])
	if size < 16 || size > 64<<20 {
		return nil, errors.New("bad message length")
	}
	msg := make([]byte, size)
	copy(msg, header[:])
	_, err := io.ReadFull(r, msg[4:])
	return msg, err
}

func moreToCome(msg []byte) bool {
	return len(msg) >= 20 && binary.LittleEndian.Uint32(msg[12:]) == opMsg &&
		binary.LittleEndian.Uint32(msg[16:])&2 != 0
}

// isWrite reports whether an OP_MSG's command (first key of its body section) writes data.
func isWrite(msg []byte) bool {
	if len(msg) < 20 || binary.LittleEndian.Uint32(msg[12:]) != opMsg {
		return false
	}
	end := len(msg)
	if binary.LittleEndian.Uint32(msg[16:])&1 != 0 {
		end -= 4 // CRC-32C checksum
	}
	for pos := 20; pos+5 < end; {
		kind, size := msg[pos], int(binary.LittleEndian.Uint32(msg[pos+1:]))
		if kind == 1 { // document sequence: skip it
			pos += 1 + size
			continue
		}
		name := msg[pos+6 : end] // after kind, document length and element type
		for i, b := range name {
			if b == 0 {
				return writeCommands[string(name[:i])]
			}
		}
		return false
	}
	return false
}
