using System.Security.Cryptography;

namespace CryptStack.Crypto.Names;

/// <summary>
/// Each backing directory (the root included) holds its random 16-byte id in the file cs.dirid.
/// The id is the associated data for the names in that directory, so equal names in different
/// directories encrypt differently and an entry moved to another directory no longer decrypts.
/// The id moves with the directory on rename, so a rename re-encrypts only the renamed entry's own name.
/// </summary>
public static class DirectoryId
{
    public const int Size = 16;

    public static byte[] New() => RandomNumberGenerator.GetBytes(Size);

    /// <summary>Checks the contents of a cs.dirid file; <paramref name="path"/> is used only in the error.</summary>
    public static byte[] Parse(ReadOnlySpan<byte> fileContent, string path)
    {
        if (fileContent.Length != Size)
            throw new DirectoryIdException($"{path}: directory id file is {fileContent.Length} bytes, expected {Size}; names in this directory cannot be decrypted (run fsck)");
        return fileContent.ToArray();
    }
}
