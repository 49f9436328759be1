package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"time"

	"github.com/wactor/wactor/host"
)

// Classes belong to namespaces in the host (host.LoadClassIn): a
// namespace lists, shows, spawns and deletes the classes visible to it,
// those it uploaded and those the operator preloaded for every namespace;
// a guest's spawn follows the same rule.

// class returns a class visible to the caller's namespace.
func (s *Server) class(rq *request, id string) (host.ClassInfo, error) {
	return s.host.ClassIn(rq.ctx(), rq.ns, id)
}

// uploadClass: POST /v1/classes, a raw module or a multipart field "module".
func (s *Server) uploadClass(rq *request) error {
	wasm, err := s.readModule(rq)
	if err != nil {
		return err
	}
	info, err := s.host.LoadClassIn(rq.ctx(), rq.ns, wasm)
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

// listClasses: GET /v1/classes, the classes visible to the namespace.
func (s *Server) listClasses(rq *request) error {
	rq.reply(http.StatusOK, classList{Classes: s.host.ClassesIn(rq.ns)})
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
// namespace use it; 403 for a class preloaded for every namespace.
func (s *Server) deleteClass(rq *request) error {
	id := rq.r.PathValue("id")
	if err := s.host.ReleaseClass(rq.ctx(), rq.ns, id); err != nil {
		return err
	}
	if _, err := s.host.Class(rq.ctx(), id); errors.Is(err, host.ErrClassNotFound) {
		s.metrics.forgetClass(id) // unloaded: no namespace has it now
	}
	rq.logEvent("class deleted", slog.String("class", id))
	rq.noContent()
	return nil
}
