namespace CryptStack.Mount.Tests.Harness;

/// <summary>
/// One mount shared by the tests of a class (xunit makes one fixture per test class). The
/// class's own factory makes it on first use, so an abstract behaviour suite can share the
/// fixture while each subclass decides what kind of mount it is. A mount whose daemon died is
/// replaced, so one crash fails the test that caused it rather than every test after it.
/// </summary>
public sealed class SharedMount : IDisposable
{
    private readonly object _gate = new();
    private TestMount? _mount;

    public TestMount Get(Func<TestMount> create)
    {
        lock (_gate)
        {
            if (_mount != null && (!_mount.IsMounted || !TestMount.ProcessAlive(_mount.DaemonPid)))
            {
                _mount.Dispose();
                _mount = null;
            }
            return _mount ??= create();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _mount?.Dispose();
            _mount = null;
        }
    }
}
