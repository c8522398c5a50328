package password

import (
	"encoding/json"
	"fmt"
	"strconv"

	"golang.org/x/crypto/argon2"
)

// KeycloakCredential is one entry of a user's "credentials" in Keycloak's
// realm or user export: SecretData and CredentialData are JSON documents
// held in strings, as Keycloak writes them.
//
//	{"type": "password",
//	 "secretData": "{\"value\":\"…base64…\",\"salt\":\"…base64…\",\"additionalParameters\":{}}",
//	 "credentialData": "{\"hashIterations\":27500,\"algorithm\":\"pbkdf2-sha256\",\"additionalParameters\":{}}"}
type KeycloakCredential struct {
	Type           string `json:"type"`
	SecretData     string `json:"secretData"`
	CredentialData string `json:"credentialData"`
}

type keycloakSecret struct {
	Value string `json:"value"`
	Salt  string `json:"salt"`
}

type keycloakData struct {
	HashIterations       int                 `json:"hashIterations"`
	Algorithm            string              `json:"algorithm"`
	AdditionalParameters map[string][]string `json:"additionalParameters"`
}

// FromKeycloakCredential converts a Keycloak password credential into the
// encoded form Verify checks: pbkdf2-sha256, pbkdf2-sha512 and pbkdf2 (SHA-1)
// become $pbkdf2-…$ hashes with the credential's iterations, salt and key;
// argon2 (type id, version 1.3) becomes an argon2id PHC string. A
// *HashError says what is wrong, naming the member of secretData or
// credentialData.
func FromKeycloakCredential(c KeycloakCredential) (string, error) {
	if c.Type != "" && c.Type != "password" {
		return "", &HashError{Field: "type", Reason: fmt.Sprintf("%s is not a password credential", clip(c.Type)), Err: ErrUnsupported}
	}
	var sec keycloakSecret
	if err := json.Unmarshal([]byte(c.SecretData), &sec); err != nil {
		return "", badHash("secretData", "is not Keycloak's JSON (value, salt)")
	}
	var data keycloakData
	if err := json.Unmarshal([]byte(c.CredentialData), &data); err != nil {
		return "", badHash("credentialData", "is not Keycloak's JSON (hashIterations, algorithm)")
	}
	digest := map[string]string{"pbkdf2-sha256": "SHA256_HMAC", "pbkdf2-sha512": "SHA512_HMAC", "pbkdf2": "SHA1_HMAC"}
	if d, ok := digest[data.Algorithm]; ok {
		enc, err := FromOktaHash(OktaHash{Algorithm: "PBKDF2", DigestAlgorithm: d, IterationCount: data.HashIterations,
			Salt: sec.Salt, Value: sec.Value})
		if he, ok := err.(*HashError); ok && he.Field == "iterationCount" {
			he.Field = "credentialData.hashIterations"
		} else if ok {
			he.Field = "secretData." + he.Field
		}
		return enc, err
	}
	if data.Algorithm != "argon2" {
		return "", &HashError{Field: "credentialData.algorithm", Reason: fmt.Sprintf("%s is not supported (pbkdf2-sha256, pbkdf2-sha512, pbkdf2, argon2)", clip(data.Algorithm)), Err: ErrUnsupported}
	}
	return fromKeycloakArgon2(sec, data)
}

func fromKeycloakArgon2(sec keycloakSecret, data keycloakData) (string, error) {
	param := func(name, def string) string {
		if v := data.AdditionalParameters[name]; len(v) == 1 {
			return v[0]
		}
		return def
	}
	if param("type", "id") != "id" || param("version", "1.3") != "1.3" {
		return "", &HashError{Field: "credentialData.additionalParameters", Reason: "only argon2 type id, version 1.3 is supported", Err: ErrUnsupported}
	}
	memory, err1 := strconv.ParseUint(param("memory", "7168"), 10, 32)
	lanes, err2 := strconv.ParseUint(param("parallelism", "1"), 10, 8)
	if err1 != nil || err2 != nil {
		return "", badHash("credentialData.additionalParameters", "memory and parallelism must be numbers")
	}
	salt, err := decodeB64(sec.Salt)
	if err != nil {
		return "", badHash("secretData.salt", "must be base64")
	}
	key, err := decodeB64(sec.Value)
	if err != nil {
		return "", badHash("secretData.value", "must be base64")
	}
	enc := fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memory, data.HashIterations, lanes,
		b64.EncodeToString(salt), b64.EncodeToString(key))
	if _, _, _, err := decodeArgon2(enc); err != nil {
		return "", badHash("credentialData", "argon2 parameters out of bounds (memory at most 2 GiB, at most 64 passes, salt of 8 bytes or more, key of 16 to 128 bytes)")
	}
	return enc, nil
}
