namespace CryptStack.Stack;

/// <summary>
/// Maps FUSE file handles (small integers) to open-file objects. Lookups take no lock and
/// allocate nothing, so the read/write path stays cheap; add and remove are rare and locked.
/// </summary>
public sealed class HandleTable<T> where T : class
{
    private T?[] _slots = new T?[64];
    private readonly Stack<int> _free = new();
    private int _next = 1; // 0 stays unused, so a zeroed fuse_file_info never names an open file
    private readonly object _gate = new();

    public ulong Add(T item)
    {
        lock (_gate)
        {
            int index = _free.Count > 0 ? _free.Pop() : _next++;
            if (index >= _slots.Length)
            {
                var grown = new T?[_slots.Length * 2];
                Array.Copy(_slots, grown, _slots.Length);
                Volatile.Write(ref _slots, grown);
            }
            Volatile.Write(ref _slots[index], item);
            return (ulong)index;
        }
    }

    /// <summary>One past the highest handle that may be in use (for sweeps over all entries).</summary>
    public ulong Capacity => (ulong)Volatile.Read(ref _slots).Length;

    public T? Get(ulong handle)
    {
        var slots = Volatile.Read(ref _slots);
        return handle < (ulong)slots.Length ? Volatile.Read(ref slots[(int)handle]) : null;
    }

    public T? Remove(ulong handle)
    {
        lock (_gate)
        {
            if (handle == 0 || handle >= (ulong)_slots.Length) return null;
            var item = _slots[handle];
            if (item == null) return null;
            _slots[handle] = null;
            _free.Push((int)handle);
            return item;
        }
    }
}
