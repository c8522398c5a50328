package sqlite_test

import (
	"fmt"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
)

// benchStore is a store holding 1000 clients and 1000 users.
func benchStore(b *testing.B) store.Store {
	s := open(b, tempDB(b))
	for i := range 1000 {
		c := store.Client{ID: fmt.Sprintf("0oa%04d", i), Name: "app",
			TokenEndpointAuthMethod: "client_secret_basic", GrantTypes: []string{"password", "refresh_token"}, Status: store.StatusActive}
		if err := s.CreateClient(b.Context(), c); err != nil {
			b.Fatal(err)
		}
		u := store.User{ID: fmt.Sprintf("00u%04d", i), Login: fmt.Sprintf("User%04d@Example.com", i), Status: store.UserActive,
			FirstName: "Ada", LastName: "Lovelace", PasswordHash: "hash"}
		if err := s.CreateUser(b.Context(), u); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func BenchmarkGetClient(b *testing.B) {
	s := benchStore(b)
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.GetClient(b.Context(), "0oa0500"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.GetClient(b.Context(), "0oa0500"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkGetUserByLogin(b *testing.B) {
	s := benchStore(b)
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.GetUserByLogin(b.Context(), "user0500@example.com"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.GetUserByLogin(b.Context(), "user0500@example.com"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
