package bank

import (
	"encoding/json"
	"fmt"
)

// Metadata is built from a request's headers by the HTTP adapter (metadataFor in
// http_metadata.go): the domain code only carries it to the events it records.

// decodeMetadata reads the metadata column of a stored event.
func decodeMetadata(raw string) (Metadata, error) {
	var m Metadata
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return Metadata{}, fmt.Errorf("metadata: %w", err)
	}
	return m, nil
}
