package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/wactor/wactor/host"
)

// classOwners records which namespaces uploaded which classes. Classes are
// content-addressed and shared by the host, but a namespace lists, shows,
// spawns and deletes only the classes it uploaded.
type classOwners struct {
	// load is held for reading while a class loads and for writing while
	// one unloads, so an upload never records a class that a concurrent
	// delete is removing from the host.
	load sync.RWMutex

	mu     sync.Mutex
	owners map[string]map[string]struct{} // class ID -> namespaces
}

func (c *classOwners) add(id, namespace string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.owners[id] == nil {
		c.owners[id] = map[string]struct{}{}
	}
	c.owners[id][namespace] = struct{}{}
}

func (c *classOwners) owns(namespace, id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.owners[id][namespace]
	return ok
}

// remove drops namespace's claim and reports whether no namespace owns the
// class any more.
func (c *classOwners) remove(id, namespace string) (last bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.owners[id], namespace)
	if len(c.owners[id]) == 0 {
		delete(c.owners, id)
		return true
	}
	return false
}

func (s *Server) loadClass(ctx context.Context, namespace string, wasm []byte) (host.ClassInfo, error) {
	s.classes.load.RLock()
	defer s.classes.load.RUnlock()
	info, err := s.host.LoadClass(ctx, wasm)
	if err != nil {
		return host.ClassInfo{}, err
	}
	s.classes.add(info.ID, namespace)
	return info, nil
}

// class returns a class the caller's namespace uploaded.
func (s *Server) class(rq *request, id string) (host.ClassInfo, error) {
	if !s.classes.owns(rq.ns, id) {
		return host.ClassInfo{}, fmt.Errorf("%w: %s", host.ErrClassNotFound, id)
	}
	return s.host.Class(rq.ctx(), id)
}

// uploadClass: POST /v1/classes, a raw module or a multipart field "module".
func (s *Server) uploadClass(rq *request) error {
	wasm, err := s.readModule(rq)
	if err != nil {
		return err
	}
	info, err := s.loadClass(rq.ctx(), rq.ns, wasm)
	if err != nil {
		return err
	}
	rq.logEvent("class uploaded", slog.String("class", info.ID), slog.String("name", info.Name), slog.Int("size", info.Size))
	rq.reply(http.StatusCreated, info)
	return nil
}

// readModule reads the module of an upload, within MaxBodyBytes: the raw
// module (Content-Type application/wasm, application/octet-stream or none)
// or a multipart/form-data field "module".
func (s *Server) readModule(rq *request) ([]byte, error) {
	limit := s.cfg.MaxBodyBytes
	tooLarge := func(limit int64) string { return fmt.Sprintf("module upload over the limit of %d bytes", limit) }
	ct := rq.r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	switch {
	case ct == "":
	case err != nil:
		return nil, newError(codeUnsupportedMediaType, "Content-Type %q is not supported: send application/wasm or multipart/form-data", ct)
	case mt == "multipart/form-data":
		return s.readMultipartModule(rq, limit, tooLarge)
	case mt == "application/wasm", mt == "application/octet-stream":
	default:
		return nil, newError(codeUnsupportedMediaType, "Content-Type %q is not supported: send application/wasm or multipart/form-data", ct)
	}
	if !hasBody(rq.r) {
		return nil, nil
	}
	return rq.readBody(limit, tooLarge)
}

// readMultipartModule reads the "module" field of a multipart upload.
func (s *Server) readMultipartModule(rq *request, limit int64, tooLarge func(int64) string) ([]byte, error) {
	rq.r.Body = http.MaxBytesReader(rq.w, rq.r.Body, limit)
	mr, err := rq.r.MultipartReader()
	if err != nil {
		return nil, newError(codeBadRequest, "multipart upload: not a multipart/form-data body with a boundary")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, newError(codeBadRequest, `multipart upload without a "module" field`)
		}
		if err != nil {
			return nil, multipartError(s, err, tooLarge)
		}
		if part.FormName() != "module" {
			_ = part.Close()
			continue
		}
		wasm, err := io.ReadAll(part)
		if err != nil {
			return nil, multipartError(s, err, tooLarge)
		}
		_ = http.NewResponseController(rq.w).SetReadDeadline(time.Time{})
		return wasm, nil
	}
}

// multipartError maps an error reading a multipart upload.
func multipartError(s *Server, err error, tooLarge func(int64) string) error {
	var (
		mbe *http.MaxBytesError
		ne  net.Error
	)
	if errors.As(err, &mbe) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) {
		return s.bodyError(err, tooLarge)
	}
	return newError(codeBadRequest, "multipart upload: malformed multipart body")
}

// classList is the body of GET /v1/classes.
type classList struct {
	Classes []host.ClassInfo `json:"classes"`
}

// listClasses: GET /v1/classes, the classes the namespace uploaded.
func (s *Server) listClasses(rq *request) error {
	out := classList{Classes: []host.ClassInfo{}}
	for _, c := range s.host.Classes(rq.ctx()) {
		if s.classes.owns(rq.ns, c.ID) {
			out.Classes = append(out.Classes, c)
		}
	}
	rq.reply(http.StatusOK, out)
	return nil
}

// showClass: GET /v1/classes/{id}.
func (s *Server) showClass(rq *request) error {
	info, err := s.class(rq, rq.r.PathValue("id"))
	if err != nil {
		return err
	}
	rq.reply(http.StatusOK, info)
	return nil
}

// deleteClass: DELETE /v1/classes/{id}. The namespace gives up the class;
// the host unloads it once no namespace has it. 409 while actors of the
// namespace use it.
func (s *Server) deleteClass(rq *request) error {
	id := rq.r.PathValue("id")
	s.classes.load.Lock()
	defer s.classes.load.Unlock()
	if !s.classes.owns(rq.ns, id) {
		return fmt.Errorf("%w: %s", host.ErrClassNotFound, id)
	}
	for _, a := range s.host.Actors(rq.ctx()) {
		if a.Class == id && a.Options.Namespace == rq.ns && a.State != host.StateDead {
			return fmt.Errorf("%w: actor %s uses class %s", host.ErrClassInUse, a.ID, id)
		}
	}
	unloaded := false
	if s.classes.remove(id, rq.ns) {
		err := s.host.UnloadClass(rq.ctx(), id)
		switch {
		case errors.Is(err, host.ErrClassInUse):
			s.classes.add(id, rq.ns)
			return err
		case err != nil && !errors.Is(err, host.ErrClassNotFound):
			return err
		}
		unloaded = true
	}
	rq.logEvent("class deleted", slog.String("class", id), slog.Bool("unloaded", unloaded))
	rq.noContent()
	return nil
}
