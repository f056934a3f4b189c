using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using CryptStack.Fuse.Interop;

namespace CryptStack.Fuse.Mounting;

/// <summary>
/// Makes the mount and hands back its /dev/fuse descriptor. Root calls mount(2) itself with
/// `fd=N,rootmode=…,user_id=…,group_id=…`; anyone else asks the setuid fusermount3, which mounts
/// and sends the descriptor back over a socketpair named in _FUSE_COMMFD (SCM_RIGHTS), as libfuse,
/// go-fuse and fuser do.
/// </summary>
internal static unsafe class KernelMounter
{
    private static readonly Dictionary<string, (ulong Set, ulong Clear)> Flags = new()
    {
        ["ro"] = (LibC.MS_RDONLY, 0), ["rw"] = (0, LibC.MS_RDONLY),
        ["nosuid"] = (LibC.MS_NOSUID, 0), ["suid"] = (0, LibC.MS_NOSUID),
        ["nodev"] = (LibC.MS_NODEV, 0), ["dev"] = (0, LibC.MS_NODEV),
        ["noexec"] = (LibC.MS_NOEXEC, 0), ["exec"] = (0, LibC.MS_NOEXEC),
        ["sync"] = (LibC.MS_SYNCHRONOUS, 0), ["async"] = (0, LibC.MS_SYNCHRONOUS),
        ["dirsync"] = (LibC.MS_DIRSYNC, 0),
        ["noatime"] = (LibC.MS_NOATIME, 0), ["nodiratime"] = (LibC.MS_NODIRATIME, 0),
        ["strictatime"] = (LibC.MS_STRICTATIME, 0), ["nostrictatime"] = (0, LibC.MS_STRICTATIME),
    };

    /// <summary>Mounts and returns the connection's /dev/fuse descriptor (close-on-exec).</summary>
    public static int Mount(string mountPoint, MountOptions options)
    {
        if (!Directory.Exists(mountPoint))
            throw new FuseException($"cannot mount on {mountPoint}: not an existing directory");
        if (LibC.GetEuid() == 0 && !options.UseFusermount) return MountDirectly(mountPoint, options);
        return MountWithFusermount(mountPoint, options);
    }

    private static int MountDirectly(string mountPoint, MountOptions options)
    {
        int fd;
        fixed (byte* dev = "/dev/fuse\0"u8) fd = LibC.Open(dev, LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd < 0) throw new FuseException($"cannot open /dev/fuse: {Strerror(LibC.Errno)} (modprobe fuse)");

        // libfuse's defaults: nosuid and nodev unless asked otherwise.
        ulong flags = LibC.MS_NOSUID | LibC.MS_NODEV;
        if (options.ReadOnly) flags |= LibC.MS_RDONLY;
        foreach (string extra in options.Extra)
        {
            if (!Flags.TryGetValue(extra, out var f)) throw new FuseException($"unknown mount option '{extra}'");
            flags = (flags | f.Set) & ~f.Clear;
        }
        var data = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"fd={fd},rootmode=40000,user_id={LibC.GetEuid()},group_id={LibC.GetEgid()}"));
        if (options.DefaultPermissions) data.Append(",default_permissions");
        if (options.AllowOther) data.Append(",allow_other");

        fixed (byte* source = LibC.Z(options.FsName))
        fixed (byte* target = LibC.Z(mountPoint))
        fixed (byte* type = LibC.Z("fuse." + options.Subtype))
        fixed (byte* d = LibC.Z(data.ToString()))
        {
            if (LibC.Mount(source, target, type, flags, d) != 0)
            {
                int errno = LibC.Errno;
                LibC.Close(fd);
                throw new FuseException($"cannot mount on {mountPoint}: {Strerror(errno)}");
            }
        }
        return fd;
    }

    private static int MountWithFusermount(string mountPoint, MountOptions options)
    {
        int* pair = stackalloc int[2];
        if (LibC.SocketPair(LibC.AF_UNIX, LibC.SOCK_STREAM, 0, pair) != 0)
            throw new FuseException($"socketpair: {Strerror(LibC.Errno)}");
        try
        {
            var psi = new ProcessStartInfo("fusermount3")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            // The child end has no close-on-exec flag (socketpair without SOCK_CLOEXEC), so
            // fusermount3 inherits it under the number it reads from _FUSE_COMMFD.
            psi.Environment["_FUSE_COMMFD"] = pair[1].ToString(CultureInfo.InvariantCulture);
            psi.ArgumentList.Add("-o");
            psi.ArgumentList.Add(options.ToOptionString());
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(mountPoint);
            Process p;
            try
            {
                p = Process.Start(psi) ?? throw new FuseException("cannot run fusermount3");
            }
            catch (System.ComponentModel.Win32Exception)
            {
                throw new FuseException("cannot run fusermount3 (apt-get install fuse3)");
            }
            using (p)
            {
                LibC.Close(pair[1]);
                pair[1] = -1;
                int fd = ReceiveDescriptor(pair[0]);
                string err = p.StandardError.ReadToEnd();
                p.WaitForExit(30_000);
                if (fd < 0)
                    throw new FuseException($"cannot mount on {mountPoint}: {err.Trim().Replace("fusermount3: ", "")}");
                return fd;
            }
        }
        finally
        {
            LibC.Close(pair[0]);
            if (pair[1] >= 0) LibC.Close(pair[1]);
        }
    }

    private static int ReceiveDescriptor(int socket)
    {
        byte data;
        var iov = new LibC.IoVec { Base = &data, Length = 1 };
        // struct cmsghdr (len 8, level 4, type 4) + one int, aligned to 8.
        byte* control = stackalloc byte[24];
        new Span<byte>(control, 24).Clear();
        var msg = new LibC.MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = 24 };
        nint n;
        do n = LibC.RecvMsg(socket, &msg, 0);
        while (n < 0 && LibC.Errno == LibC.EINTR);
        if (n <= 0) return -1;
        ulong len = *(ulong*)control;
        int level = *(int*)(control + 8), type = *(int*)(control + 12);
        if (len < 20 || level != LibC.SOL_SOCKET || type != LibC.SCM_RIGHTS) return -1;
        return *(int*)(control + 16);
    }

    /// <summary>Detaches the mount (lazily): root with umount2, anyone else through fusermount3 -u -z.</summary>
    public static void Detach(string mountPoint)
    {
        if (LibC.GetEuid() == 0)
        {
            fixed (byte* p = LibC.Z(mountPoint))
                if (LibC.Umount2(p, LibC.MNT_DETACH) == 0) return;
        }
        try
        {
            using var p = Process.Start(new ProcessStartInfo("fusermount3", ["-u", "-z", mountPoint])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            });
            p?.WaitForExit(10_000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No fusermount3: nothing more we can do than the connection abort after the timeout.
        }
    }

    public static string Strerror(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
