#pragma once
// The NaN policy (FitOptions::on_nan): what fit() does with a batch whose loss, gradients or update are not
// finite. Found by the bit pattern (is_finite), so that -ffast-math cannot hide it.

#include "latent/core/error.hpp"
#include "latent/training/options.hpp"

#include <cstddef>
#include <string>

namespace latent::detail {

/// What a bad batch looked like, for the messages.
struct NonFinite {
    std::size_t epoch, batch, batches;
    double loss;
    bool in_loss;  ///< else in the gradients, or in the updated weights when in_update
    bool in_update = false;
};

/// Stop: throws. skip_batch: counts the batch, and throws once max_consecutive_skips are skipped in a row.
inline void non_finite(const FitOptions& options, const NonFinite& bad, std::size_t& consecutive_skips) {
    const std::string at = " at epoch " + std::to_string(bad.epoch) + ", batch " + std::to_string(bad.batch + 1) +
                           " of " + std::to_string(bad.batches);
    const std::string loss = std::to_string(bad.loss);
    if (options.on_nan == NanPolicy::stop) {
        if (bad.in_loss)
            throw numerical_error("latent::Trainer::fit: expected a finite loss, found " + loss + at +
                                  "; the weights are those from before that batch (try a lower learning rate)");
        if (!bad.in_update)
            throw numerical_error("latent::Trainer::fit: expected finite gradients, found a NaN or infinite one" + at +
                                  " (the loss was " + loss + "); the weights are those from before that batch "
                                  "(try a lower learning rate)");
        throw numerical_error("latent::Trainer::fit: expected finite weights after the update" + at +
                              ", found NaN or infinite ones although its loss (" + loss + ") and gradients were "
                              "finite; the weights are left as that update made them (NanPolicy::skip_batch rolls "
                              "such updates back; try a lower learning rate)");
    }
    if (++consecutive_skips >= options.max_consecutive_skips)
        throw numerical_error("latent::Trainer::fit: expected at most " +
                              std::to_string(options.max_consecutive_skips - 1) + " batches in a row with a NaN or "
                              "infinite loss, gradient or update, found " + std::to_string(consecutive_skips) +
                              ", the last" + at + " (" +
                              (bad.in_loss ? "loss " + loss : bad.in_update ? "update" : "gradient") +
                              "); the weights are those from before them (try a lower learning rate)");
}

}  // namespace latent::detail
