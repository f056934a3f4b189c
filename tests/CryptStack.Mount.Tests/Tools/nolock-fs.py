#!/usr/bin/python3
"""A loopback FUSE filesystem (fusepy, Debian python3-fusepy) whose lock operation refuses every lock with
ENOLCK, as NFS without a lock manager or some network and FUSE filesystems do. Tests mount CryptStack on it to
see what happens when the backing filesystem refuses the locks its writers take. Usage: nolock-fs.py ROOT MNT"""
import errno, os, sys
from fusepy import FUSE, FuseOSError, Operations


class NoLock(Operations):
    def __init__(self, root):
        self.root = root

    def _p(self, path):
        return os.path.join(self.root, path.lstrip('/'))

    def getattr(self, path, fh=None):
        st = os.lstat(self._p(path))
        return {k: getattr(st, k) for k in ('st_atime', 'st_ctime', 'st_gid', 'st_mode', 'st_mtime', 'st_nlink', 'st_size', 'st_uid')}

    def readdir(self, path, fh):
        return ['.', '..'] + os.listdir(self._p(path))

    def access(self, path, mode):
        if not os.access(self._p(path), mode):
            raise FuseOSError(errno.EACCES)

    def chmod(self, path, mode): os.chmod(self._p(path), mode)
    def chown(self, path, uid, gid): os.lchown(self._p(path), uid, gid)
    def mkdir(self, path, mode): os.mkdir(self._p(path), mode)
    def rmdir(self, path): os.rmdir(self._p(path))
    def unlink(self, path): os.unlink(self._p(path))
    def rename(self, old, new): os.rename(self._p(old), self._p(new))
    def symlink(self, name, target): os.symlink(target, self._p(name))
    def readlink(self, path): return os.readlink(self._p(path))
    def link(self, target, name): os.link(self._p(name), self._p(target))
    def utimens(self, path, times=None): os.utime(self._p(path), times, follow_symlinks=False)
    def statfs(self, path):
        s = os.statvfs(self._p(path))
        return {k: getattr(s, k) for k in ('f_bavail', 'f_bfree', 'f_blocks', 'f_bsize', 'f_favail', 'f_ffree', 'f_files', 'f_flag', 'f_frsize', 'f_namemax')}

    def open(self, path, flags): return os.open(self._p(path), flags)
    # fusepy does not pass the caller's flags here; read-write, because the kernel may read pages through any
    # handle of the file (a partial-page write reads the page first), and a write-only one fails that with EBADF.
    def create(self, path, mode, fi=None): return os.open(self._p(path), os.O_RDWR | os.O_CREAT, mode)
    def read(self, path, length, offset, fh): return os.pread(fh, length, offset)
    def write(self, path, buf, offset, fh): return os.pwrite(fh, buf, offset)
    def truncate(self, path, length, fh=None):
        if fh is not None: os.ftruncate(fh, length)
        else: os.truncate(self._p(path), length)
    def flush(self, path, fh): return 0
    def release(self, path, fh): os.close(fh)
    def fsync(self, path, datasync, fh): os.fsync(fh)

    def lock(self, path, fh, cmd, lock):
        raise FuseOSError(errno.ENOLCK)


if __name__ == '__main__':
    FUSE(NoLock(sys.argv[1]), sys.argv[2], foreground=True, nothreads=True, allow_other=True, use_ino=False)
