#include "core/run_program.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "core/error.h"

extern char** environ;

namespace peso {

namespace {

// Writes all of `data` to `fd`. A reader that exits early raises SIGPIPE,
// which would end this process: it is blocked for this thread meanwhile and a
// pending one is taken back before unblocking.
void write_all_no_sigpipe(int fd, const std::string& data) {
    sigset_t pipe_set, old_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t w = ::write(fd, data.data() + done, data.size() - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;  // EPIPE: the program stopped reading; its exit status says why
        done += static_cast<std::size_t>(w);
    }
    const timespec zero{0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
}

}  // namespace

ProgramResult run_program(const std::vector<std::string>& argv, const std::string& input) {
    PESO_CHECK(!argv.empty(), ValueError, "run_program: empty argument vector");
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int fds[2];
    PESO_CHECK(::pipe2(fds, O_CLOEXEC) == 0, IOError, "run_program: cannot create a pipe for {}", argv[0]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[0]);
    ProgramResult result;
    if (rc != 0) {
        ::close(fds[1]);
        return result;
    }
    result.started = true;
    write_all_no_sigpipe(fds[1], input);
    ::close(fds[1]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    // glibc's posix_spawnp reports a missing program as exit status 127 of the child.
    if (WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
    if (result.exit_status == 127) result.started = false;
    return result;
}

std::string gnuplot_quote(const std::string& text) {
    PESO_CHECK(text.find('\n') == std::string::npos && text.find('\r') == std::string::npos, ValueError,
               "gnuplot: a file name with a line break cannot be passed to gnuplot: {}", text);
    std::string out = "'";
    for (const char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

}  // namespace peso
