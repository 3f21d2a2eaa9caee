/* report_plot.c — find gnuplot and run one of the reports/<plot>.gp scripts (report.h).
 *
 * Scripts are parameterised from the command line, never edited:
 *   gnuplot -e "datadir='OUT'; outfile='OUT/x.png.tmp'; fmt='png'; scriptdir='reports'" reports/x.gp
 * (scriptdir lets each script load the shared reports/common.gp).
 * gnuplot writes to a temporary name that is renamed over the real one only
 * when it exits 0, so a failed plot never leaves a half-written image.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

bool rp_find_gnuplot(char *buf, size_t n) {
    const char *path = getenv("PATH");
    if (!path || !*path) return false;
    const char *s = path;
    for (;;) {
        const char *e = strchr(s, ':');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == 0) snprintf(buf, n, "./gnuplot");
        else snprintf(buf, n, "%.*s/gnuplot", (int)len, s);
        struct stat st;
        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0) return true;
        if (!e) break;
        s = e + 1;
    }
    return false;
}

/* The last non-empty line of a log file into msg (gnuplot's error is there). */
static void last_line(const char *path, char *msg, size_t n) {
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
            line[--len] = '\0';
        if (len) snprintf(msg, n, "%s", line);
    }
    fclose(f);
}

int rp_gnuplot(const char *gnuplot, const char *script, const char *outdir, const char *stem,
               const char *fmt, char *msg, size_t msg_n) {
    char out[4096], tmp[4200], log[4200], defs[13000];
    snprintf(msg, msg_n, "ok");
    snprintf(out, sizeof out, "%s/%s.%s", outdir, stem, fmt);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    snprintf(log, sizeof log, "%s/logs/%s.%s.log", outdir, stem, fmt);
    if (strchr(outdir, '\'')) {
        snprintf(msg, msg_n, "output directory names with a quote (') are not supported");
        return 127;
    }
    char sdir[4096];
    snprintf(sdir, sizeof sdir, "%s", script);
    char *slash = strrchr(sdir, '/');
    if (slash) *slash = '\0';
    else snprintf(sdir, sizeof sdir, ".");
    if (strchr(sdir, '\'')) {
        snprintf(msg, msg_n, "script directory names with a quote (') are not supported");
        return 127;
    }
    snprintf(defs, sizeof defs, "datadir='%s'; outfile='%s'; fmt='%s'; scriptdir='%s'", outdir, tmp,
             fmt, sdir);

    pid_t pid = fork();
    if (pid < 0) {
        snprintf(msg, msg_n, "fork: %s", strerror(errno));
        return 127;
    }
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execl(gnuplot, "gnuplot", "-e", defs, script, (char *)NULL);
        fprintf(stderr, "cannot run %s: %s\n", gnuplot, strerror(errno));
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(msg, msg_n, "waitpid: %s", strerror(errno));
            return 127;
        }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    if (code == 0) {
        struct stat st;
        if (stat(tmp, &st) != 0 || st.st_size == 0) {
            snprintf(msg, msg_n, "gnuplot exited 0 but wrote no %s", out);
            unlink(tmp);
            return 126;
        }
        if (rename(tmp, out) != 0) {
            snprintf(msg, msg_n, "rename to %s: %s", out, strerror(errno));
            unlink(tmp);
            return 126;
        }
        return 0;
    }
    unlink(tmp);
    snprintf(msg, msg_n, "gnuplot exited %d (see %s)", code, log);
    char line[400] = "";
    last_line(log, line, sizeof line);
    if (*line) snprintf(msg, msg_n, "gnuplot exited %d: %s", code, line);
    return code;
}
