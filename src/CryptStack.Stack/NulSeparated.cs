namespace CryptStack.Stack;

/// <summary>Splits a NUL-separated list (listxattr) into ranges.</summary>
public ref struct NulSeparated(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _start = 0;
    public Range Current { get; private set; }
    public readonly NulSeparated GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_start >= _data.Length) return false;
        int end = _data[_start..].IndexOf((byte)0);
        end = end < 0 ? _data.Length : _start + end;
        Current = new Range(_start, end);
        _start = end + 1;
        return true;
    }
}
