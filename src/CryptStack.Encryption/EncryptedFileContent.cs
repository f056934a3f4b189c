using CryptStack.Crypto.Content;
using CryptStack.Fuse;
using CryptStack.Stack;
using CryptStack.Stack.Interop;
using Microsoft.Extensions.Logging;

namespace CryptStack.Encryption;

/// <summary>
/// One open of an encrypted file. Every call runs under the node's reader/writer lock and a lock
/// on the backing file, and turns failures into -errno: damaged ciphertext is EIO with one
/// log line naming the plaintext and ciphertext paths, never garbage.
/// </summary>
internal sealed class EncryptedFileContent(EncryptedNode node, EncryptedContentTransform owner, ILogger log, IDamageObserver damage) : IFileContent
{
    private bool _disposed;

    public int Read(Span<byte> buffer, long offset)
    {
        int lrc = node.EnterRead();
        if (lrc < 0) return lrc;
        ContentFile? reader = null;
        try
        {
            reader = node.RentReader();
            return reader == null ? 0 : reader.Read(buffer, offset);
        }
        catch (Exception e)
        {
            // A reader that saw damage is not reused: its state is whatever the failure left.
            reader?.Dispose();
            reader = null;
            return Fail(e, "read", offset);
        }
        finally
        {
            if (reader != null) node.ReturnReader(reader);
            node.ExitRead();
        }
    }

    public int Write(ReadOnlySpan<byte> buffer, long offset)
    {
        int lrc = node.EnterWrite();
        if (lrc < 0) return lrc;
        try
        {
            node.Writer.Write(buffer, offset);
            return buffer.Length;
        }
        catch (Exception e) { return Fail(e, "write", offset); }
        finally { node.ExitWrite(); }
    }

    public int SetLength(long length)
    {
        int lrc = node.EnterWrite();
        if (lrc < 0) return lrc;
        try
        {
            node.Writer.SetLength(length);
            return 0;
        }
        catch (Exception e) { return Fail(e, "truncate", length); }
        finally { node.ExitWrite(); }
    }

    public int Allocate(int mode, long offset, long length)
    {
        if (offset < 0 || length <= 0) return -Errno.EINVAL;
        const int keepSize = Native.FALLOC_FL_KEEP_SIZE;
        int lrc = node.EnterWrite();
        if (lrc < 0) return lrc;
        try
        {
            switch (mode)
            {
                case 0:
                    // Space is not reserved in the backing file (the ciphertext of zeros is not
                    // zeros), but the size grows as posix_fallocate promises.
                    if (offset + length > node.Writer.PlainLength) node.Writer.SetLength(offset + length);
                    return 0;
                case keepSize:
                    return 0;
                case Native.FALLOC_FL_PUNCH_HOLE | keepSize:
                    node.Writer.PunchHole(offset, length);
                    return 0;
                case Native.FALLOC_FL_ZERO_RANGE:
                case Native.FALLOC_FL_ZERO_RANGE | keepSize:
                    node.Writer.ZeroRange(offset, length, keepSize: (mode & keepSize) != 0);
                    return 0;
                default:
                    // COLLAPSE_RANGE / INSERT_RANGE would shift every later block to a new index.
                    return -Errno.EOPNOTSUPP;
            }
        }
        catch (Exception e) { return Fail(e, "fallocate", offset); }
        finally { node.ExitWrite(); }
    }

    public long Seek(long offset, int whence)
    {
        if (whence != Native.SEEK_DATA && whence != Native.SEEK_HOLE) return -Errno.EINVAL;
        int lrc = node.EnterRead();
        if (lrc < 0) return lrc;
        ContentFile? reader = null;
        try
        {
            reader = node.RentReader();
            if (reader == null) return -Errno.ENXIO;
            long r = whence == Native.SEEK_DATA ? reader.SeekData(offset) : reader.SeekHole(offset);
            return r < 0 ? -Errno.ENXIO : r;
        }
        catch (Exception e)
        {
            reader?.Dispose();
            reader = null;
            return Fail(e, "lseek", offset);
        }
        finally
        {
            if (reader != null) node.ReturnReader(reader);
            node.ExitRead();
        }
    }

    public int Sync(bool dataOnly) => dataOnly ? Native.FDataSync(node.Fd) : Native.FSync(node.Fd);

    private int Fail(Exception e, string operation, long offset)
    {
        switch (e)
        {
            case ContentIntegrityException integrity:
                log.LogError("{UpperPath}: {Operation} at {Offset}: {Reason} (ciphertext {LowerPath})",
                    node.UpperPath, operation, offset, integrity.Message, EncryptedNode.BackingPathOf(node.Fd));
                damage.Found(new DamageReport(DamageKind.FileContent, node.UpperPath, EncryptedNode.BackingPathOf(node.Fd), integrity.Message));
                return -Errno.EIO;
            case BackingIoException io:
                return -io.Errno;
            case ArgumentOutOfRangeException:
                return -Errno.EFBIG;
            default:
                log.LogError(e, "{UpperPath}: {Operation} at {Offset} failed", node.UpperPath, operation, offset);
                return -Errno.EIO;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        owner.Release(node);
    }
}
