/* fsdir.h — what skinkey creates on disk is the user's alone: directories 0700 (with their
 * missing parents, as a new account has no ~/.local/share), files 0600. */
#ifndef SK_FSDIR_H
#define SK_FSDIR_H

/* mkdir -p: every missing component created 0700; the last one must end up a directory.
 * 0 or SK_ERR_IO (logged, with the component that failed). */
int sk_mkdir_p(const char *dir);

/* Create path 0600 when missing (no symlink followed) and take group/other bits off an
 * existing one, so that sqlite (which gives -wal/-shm the database's mode) never makes a
 * readable file. 0, SK_ERR_IO or SK_ERR_FULL (ENOSPC/EDQUOT, logged). */
int sk_private_file(const char *path);

#endif
