using System.Runtime.CompilerServices;

// Codecs expose overloads that take a fixed nonce so the format vectors in docs/format.md are reproducible.
[assembly: InternalsVisibleTo("CryptStack.Crypto.Tests")]
