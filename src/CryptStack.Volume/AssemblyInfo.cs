using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("CryptStack.Crypto.Tests")]
