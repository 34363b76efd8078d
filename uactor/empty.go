package uactor

// Empty is a request, response or spawn argument that carries nothing: it
// travels as zero bytes.
type Empty struct{}
