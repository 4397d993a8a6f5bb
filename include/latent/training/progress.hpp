#pragma once
// Training progress on the console: a live bar on a terminal, one line per epoch otherwise (logs, CI).

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <iomanip>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace latent {

enum class Verbosity {
    automatic,    ///< a progress bar when standard output is a terminal, else one line per epoch
    progress_bar, ///< always the live bar
    per_epoch,    ///< one line per epoch
    silent,
};

/// Prints training progress: a live bar on a terminal, one line per epoch otherwise.
class ProgressReporter {
public:
    ProgressReporter(Verbosity verbosity, std::ostream& out) : out_{out} {
        if (verbosity == Verbosity::automatic)
            verbosity = ::isatty(STDOUT_FILENO) ? Verbosity::progress_bar : Verbosity::per_epoch;
        verbosity_ = verbosity;
    }

    void begin_epoch(std::size_t epoch, std::size_t epochs, std::size_t batches) {
        epoch_ = epoch;
        epochs_ = epochs;
        batches_ = batches;
        started_ = Clock::now();
        last_draw_ = started_;
    }

    /// Redraws at most ten times a second so that the bar costs nothing measurable.
    void batch_done(std::size_t batch, std::size_t samples_done, double running_loss) {
        if (verbosity_ != Verbosity::progress_bar) return;
        const auto now = Clock::now();
        if (batch + 1 != batches_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
        last_draw_ = now;
        const double elapsed = seconds_since(started_, now);
        const double rate = elapsed > 0 ? double(samples_done) / elapsed : 0;
        const double eta = batch + 1 < batches_ ? elapsed / double(batch + 1) * double(batches_ - batch - 1) : 0;
        constexpr std::size_t width = 24;
        const std::size_t filled = width * (batch + 1) / batches_;
        std::ostringstream line;
        line << "\r" << epoch_label() << " [" << std::string(filled, '=') << std::string(width - filled, ' ') << "] "
             << batch + 1 << "/" << batches_ << " loss " << std::setprecision(4) << std::fixed << running_loss << " "
             << std::setprecision(0) << rate << " samples/s ETA " << std::setprecision(1) << eta << " s   ";
        out_ << line.str() << std::flush;
    }

    void end_epoch(double train_loss, std::optional<double> validation_loss, double seconds, double samples_per_second) {
        if (verbosity_ == Verbosity::silent) return;
        std::ostringstream line;
        if (verbosity_ == Verbosity::progress_bar) line << "\r\33[2K";  // erase the bar
        line << epoch_label() << "  loss " << std::setprecision(5) << std::fixed << train_loss;
        if (validation_loss) line << "  val_loss " << *validation_loss;
        line << "  " << std::setprecision(2) << seconds << " s  " << std::setprecision(0) << samples_per_second
             << " samples/s\n";
        out_ << line.str() << std::flush;
    }

    void message(const std::string& text) {
        if (verbosity_ != Verbosity::silent) out_ << text << "\n" << std::flush;
    }

private:
    using Clock = std::chrono::steady_clock;
    static double seconds_since(Clock::time_point a, Clock::time_point b) {
        return std::chrono::duration<double>(b - a).count();
    }
    std::string epoch_label() const {
        const std::string total = std::to_string(epochs_);
        std::string current = std::to_string(epoch_);
        return "Epoch " + std::string(total.size() - current.size(), ' ') + current + "/" + total;
    }

    std::ostream& out_;
    Verbosity verbosity_ = Verbosity::per_epoch;
    std::size_t epoch_ = 0, epochs_ = 0, batches_ = 0;
    Clock::time_point started_, last_draw_;
};

}  // namespace latent
