package larkfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

// wsHub owns the long-connection side: the live sockets, the pings and the
// acks the client sends back for pushed events.
type wsHub struct {
	mu      sync.Mutex
	conns   map[*wsConn]bool
	current *wsConn
	changed chan struct{} // closed and replaced whenever current changes
	pending map[string]chan []byte
	dials   atomic.Int64
	pings   atomic.Int64
	seq     atomic.Int64
	// ackHook, when set, sees every data frame the client sends back
	// before the synchronous Push waiters do; true means it was consumed.
	ackHook func(frameID string, payload []byte) bool
}

type wsConn struct {
	c       *websocket.Conn
	writeMu sync.Mutex
	service int32
	done    chan struct{} // closed when the read loop ends
}

func newHub() *wsHub {
	return &wsHub{conns: map[*wsConn]bool{}, changed: make(chan struct{}), pending: map[string]chan []byte{}}
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (h *wsHub) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("device_id") == "" || q.Get("service_id") == "" {
		http.Error(w, "missing ids", http.StatusBadRequest)
		return
	}
	svc, _ := strconv.Atoi(q.Get("service_id"))
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	conn := &wsConn{c: c, service: int32(svc), done: make(chan struct{})}
	h.dials.Add(1)
	h.mu.Lock()
	h.conns[conn] = true
	h.setCurrentLocked(conn)
	h.mu.Unlock()
	go h.readLoop(conn)
}

func (h *wsHub) setCurrentLocked(c *wsConn) {
	h.current = c
	close(h.changed)
	h.changed = make(chan struct{})
}

func (h *wsHub) readLoop(conn *wsConn) {
	defer func() {
		_ = conn.c.Close()
		h.mu.Lock()
		delete(h.conns, conn)
		if h.current == conn {
			h.setCurrentLocked(nil)
		}
		h.mu.Unlock()
		close(conn.done) // after: a waiter woken by it finds no dead current
	}()
	for {
		mt, data, err := conn.c.ReadMessage()
		if err != nil {
			return
		}
		if mt != websocket.BinaryMessage {
			continue
		}
		var f larkws.Frame
		if err := f.Unmarshal(data); err != nil {
			continue
		}
		hs := larkws.Headers(f.Headers)
		switch {
		case f.Method == int32(larkws.FrameTypeControl) && hs.GetString(larkws.HeaderType) == string(larkws.MessageTypePing):
			h.pings.Add(1)
			pong := larkws.Frame{Method: int32(larkws.FrameTypeControl), Service: f.Service,
				Headers: []larkws.Header{{Key: larkws.HeaderType, Value: string(larkws.MessageTypePong)}}}
			_ = conn.write(&pong)
		case f.Method == int32(larkws.FrameTypeData):
			id := hs.GetString(larkws.HeaderMessageID)
			if h.ackHook != nil && h.ackHook(id, f.Payload) {
				continue
			}
			h.mu.Lock()
			ch := h.pending[id]
			delete(h.pending, id)
			h.mu.Unlock()
			if ch != nil {
				ch <- f.Payload
			}
		}
	}
}

func (c *wsConn) write(f *larkws.Frame) error {
	b, err := f.Marshal()
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.c.WriteMessage(websocket.BinaryMessage, b)
}

// waitConn returns the live connection, waiting for one until ctx ends.
func (h *wsHub) waitConn(ctx context.Context) (*wsConn, error) {
	for {
		h.mu.Lock()
		c, ch := h.current, h.changed
		h.mu.Unlock()
		if c != nil {
			return c, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, errors.New("larkfake: no client connected")
		}
	}
}

func (h *wsHub) closeAll() {
	h.mu.Lock()
	conns := make([]*wsConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		_ = c.c.Close()
	}
}

// push sends one data frame carrying payload and waits for the client's ack.
func (h *wsHub) push(ctx context.Context, payload []byte) ([]byte, error) {
	conn, err := h.waitConn(ctx)
	if err != nil {
		return nil, err
	}
	n := h.seq.Add(1)
	id := fmt.Sprintf("fake-frame-%d", n)
	ch := make(chan []byte, 1)
	h.mu.Lock()
	h.pending[id] = ch
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.pending, id)
		h.mu.Unlock()
	}()
	f := eventFrame(conn, uint64(n), id, payload)
	if err := conn.write(&f); err != nil {
		return nil, err
	}
	select {
	case ack := <-ch:
		return ack, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("larkfake: no ack for frame %s", id)
	}
}

// eventFrame is the data frame that carries one event payload.
func eventFrame(conn *wsConn, n uint64, id string, payload []byte) larkws.Frame {
	return larkws.Frame{
		SeqID: n, LogID: n, Service: conn.service, Method: int32(larkws.FrameTypeData),
		Headers: []larkws.Header{
			{Key: larkws.HeaderType, Value: string(larkws.MessageTypeEvent)},
			{Key: larkws.HeaderMessageID, Value: id},
			{Key: larkws.HeaderSum, Value: "1"},
			{Key: larkws.HeaderSeq, Value: "0"},
			{Key: larkws.HeaderTraceID, Value: "trace-" + id},
		},
		Payload: payload,
	}
}

// Ack is the client's answer to a pushed event.
type Ack struct {
	Code int `json:"code"`
	// Data is the handler's response body (card callbacks), already decoded
	// from the frame's base64.
	Data []byte `json:"data"`
}

// Push delivers a raw event payload over the long connection and waits (up
// to 5 s) for the client's ack.
func (s *Server) Push(payload []byte) (Ack, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	raw, err := s.ws.push(ctx, payload)
	if err != nil {
		return Ack{}, err
	}
	var a Ack
	if err := json.Unmarshal(raw, &a); err != nil {
		return Ack{}, fmt.Errorf("larkfake: bad ack %q: %w", raw, err)
	}
	return a, nil
}

// WaitConnected waits until a client holds a live long connection.
func (s *Server) WaitConnected(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, err := s.ws.waitConn(ctx)
	return err
}

// DropSocket closes the live long connection from the server side, as a
// network failure would.
func (s *Server) DropSocket() {
	s.ws.mu.Lock()
	c := s.ws.current
	if c != nil {
		s.ws.setCurrentLocked(nil)
	}
	s.ws.mu.Unlock()
	if c != nil {
		_ = c.c.Close()
	}
}

// Dials counts websocket connections accepted so far.
func (s *Server) Dials() int { return int(s.ws.dials.Load()) }

// Pings counts pings received.
func (s *Server) Pings() int { return int(s.ws.pings.Load()) }

// LiveConns counts open websocket connections.
func (s *Server) LiveConns() int {
	s.ws.mu.Lock()
	defer s.ws.mu.Unlock()
	return len(s.ws.conns)
}
