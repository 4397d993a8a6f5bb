// Writes the seed corpora committed under tests/fuzz/corpus/: small valid and nearly valid inputs from
// which libFuzzer starts. Run it again (target latent_fuzz_write_seeds) when a format changes:
//   latent_fuzz_write_seeds tests/fuzz/corpus

#include <latent/io/safetensors.hpp>
#include <latent/latent.hpp>

#include <zlib.h>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <stdexcept>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

Bytes idx(std::uint8_t type, const std::vector<std::uint32_t>& dims, std::size_t data_size) {
    Bytes out{0, 0, type, std::uint8_t(dims.size())};
    for (const std::uint32_t d : dims)
        for (int shift = 24; shift >= 0; shift -= 8) out.push_back(std::uint8_t(d >> shift));
    for (std::size_t i = 0; i < data_size; ++i) out.push_back(std::uint8_t(i * 37 + 11));
    return out;
}

Bytes gzip(const Bytes& in, int level) {
    z_stream zs{};
    if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2 failed");
    Bytes out(deflateBound(&zs, uLong(in.size())));
    zs.next_in = const_cast<Bytef*>(in.data());
    zs.avail_in = uInt(in.size());
    zs.next_out = out.data();
    zs.avail_out = uInt(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
    return out;
}

void write(const fs::path& path, const Bytes& bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
    std::printf("%s (%zu bytes)\n", path.c_str(), bytes.size());
}

using namespace latent;
using Small = Autoencoder<Sequential<Dense<6, 3, ReLU>>, Sequential<Dense<3, 6, Sigmoid>>>;
using SmallDouble = Autoencoder<Sequential<Dense<6, 3, ReLU>>, Sequential<Dense<3, 6, Sigmoid>>, backend::basic_cpu<double>>;
using Other = Autoencoder<Sequential<Dense<6, 2, Tanh>>, Sequential<Dense<2, 6>>>;

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus directory>\n", argv[0]);
        return 2;
    }
    const fs::path root = argv[1];

    const Bytes images = idx(0x08, {2, 3, 3}, 18);
    const Bytes labels = idx(0x08, {5}, 5);
    const Bytes picture = idx(0x08, {1, 28, 28}, 784);
    write(root / "idx_raw" / "images_2x3x3.idx", images);
    write(root / "idx_raw" / "labels_5.idx", labels);
    write(root / "idx_raw" / "scalar.idx", idx(0x08, {}, 1));
    write(root / "idx_raw" / "empty_0x28x28.idx", idx(0x08, {0, 28, 28}, 0));
    write(root / "idx_raw" / "floats_2.idx", idx(0x0d, {2}, 8));

    write(root / "idx_gzip" / "images_2x3x3.idx.gz", gzip(images, Z_DEFAULT_COMPRESSION));
    write(root / "idx_gzip" / "labels_5.idx.gz", gzip(labels, Z_BEST_COMPRESSION));
    write(root / "idx_gzip" / "picture_1x28x28.idx.gz", gzip(picture, Z_DEFAULT_COMPRESSION));
    write(root / "idx_gzip" / "stored_2x3x3.idx.gz", gzip(images, Z_NO_COMPRESSION));
    Bytes members = gzip(Bytes(images.begin(), images.begin() + 10), Z_DEFAULT_COMPRESSION);
    const Bytes rest = gzip(Bytes(images.begin() + 10, images.end()), Z_DEFAULT_COMPRESSION);
    members.insert(members.end(), rest.begin(), rest.end());
    write(root / "idx_gzip" / "two_members_2x3x3.idx.gz", members);

    write(root / "model_file" / "small_float.latent", serialize_model(Small{1}));
    write(root / "model_file" / "small_double.latent", serialize_model(SmallDouble{2}));
    write(root / "model_file" / "other_architecture.latent", serialize_model(Other{3}));
    {
        // Format 1.1: with the scaler of tests/io/model_file.cpp's six_features().
        std::vector<float> values(4 * 6);
        for (std::size_t i = 0; i < values.size(); ++i) values[i] = float(i * i % 11) - 3.5f;
        const Scaler scaler = Scaler::fit(Dataset<float>(std::move(values), 1, 6), Scaling::standard);
        write(root / "model_file" / "small_float_scaler.latent", serialize_model(Small{1}, scaler));
    }

    // Checkpoints of two tiny runs: SGD with momentum and a validation split; Adam with early stopping's weights.
    std::vector<float> values(6 * 6);
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = float(i % 7) / 7.0f;
    const Dataset<float> data(std::move(values), 2, 3);
    const fs::path scratch = root / "checkpoint" / "scratch.ckpt";
    fs::create_directories(scratch.parent_path());
    {
        Small model{4};
        Trainer trainer{model, SGD{{.learning_rate = 0.1, .momentum = 0.5}}, MSE{}};
        trainer.fit(data, {.epochs = 2, .batch_size = 2, .validation_split = 0.34, .verbosity = Verbosity::silent,
                           .checkpoint = scratch});
        write(root / "checkpoint" / "sgd_validation.ckpt", serialize_checkpoint(load_checkpoint<float>(scratch)));
    }
    {
        Small model{5};
        Trainer trainer{model, Adam{}, MSE{}};
        trainer.fit(data, {.epochs = 1, .batch_size = 3, .early_stopping = EarlyStopping{},
                           .verbosity = Verbosity::silent, .checkpoint = scratch});
        write(root / "checkpoint" / "adam_early_stopping.ckpt", serialize_checkpoint(load_checkpoint<float>(scratch)));
    }
    {
        // Format 1.1: a model with buffers (BatchNorm's running statistics), and early stopping's best ones.
        using Normed = Autoencoder<Sequential<Dense<6, 3, ReLU>, BatchNorm<>>, Sequential<Dense<3, 6, Sigmoid>>>;
        Normed model{6};
        Trainer trainer{model, Adam{}, MSE{}};
        trainer.fit(data, {.epochs = 1, .batch_size = 3, .early_stopping = EarlyStopping{},
                           .verbosity = Verbosity::silent, .checkpoint = scratch});
        write(root / "checkpoint" / "batchnorm_early_stopping.ckpt", serialize_checkpoint(load_checkpoint<float>(scratch)));
    }
    fs::remove(scratch);

    // NumPy: each element size, both byte orders, both memory orders, 1 to 4 dimensions; then archives of them.
    std::vector<float> floats(6);
    for (std::size_t i = 0; i < floats.size(); ++i) floats[i] = float(i) * 0.5f - 1.0f;
    const NpyArray table({2, 3}, floats);
    const NpyArray shorts({2, 3, 2}, std::vector<std::int16_t>{-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 32767});
    const NpyArray bytes({5}, std::vector<std::uint8_t>{0, 1, 127, 128, 255});
    const NpyArray doubles({1, 2, 1, 2}, std::vector<double>{1.0, -0.0, 1e300, -2.5});
    const NpyArray empty({0, 3}, std::vector<std::uint64_t>{});
    write(root / "npy" / "float32_2x3.npy", encode_npy(table));
    write(root / "npy" / "int16_big_fortran_2x3x2.npy", encode_npy(shorts, {true, std::endian::big}));
    write(root / "npy" / "uint8_5.npy", encode_npy(bytes));
    write(root / "npy" / "float64_fortran_1x2x1x2.npy", encode_npy(doubles, {true, std::endian::little}));
    write(root / "npy" / "uint64_0x3.npy", encode_npy(empty));
    Bytes version2 = encode_npy(NpyArray({2}, std::vector<std::int32_t>{-1, 7}));
    version2[6] = 2;  // version 2.0: a 4-byte header length
    version2.insert(version2.begin() + 10, {0, 0});
    write(root / "npy" / "int32_version2.npy", version2);

    NpzArrays arrays;
    arrays.emplace("table", table);
    arrays.emplace("labels", bytes);
    write(root / "npz" / "stored.npz", encode_npz(arrays, NpzCompression::stored));
    write(root / "npz" / "deflate.npz", encode_npz(arrays, NpzCompression::deflate));
    write(root / "npz" / "one_deflated_int16.npz", encode_npz({{"s", shorts}}, NpzCompression::deflate));

    // safetensors: the fuzz target's own model (names with buffers), another model, metadata and odd tensors.
    using Normed = Autoencoder<Sequential<Dense<4, 2, ReLU>, BatchNorm<>>, Sequential<Dense<2, 4>>>;
    write(root / "safetensors" / "fuzz_model.safetensors", encode_safetensors(to_torch_state_dict(Normed{1})));
    write(root / "safetensors" / "small_encoder.safetensors", encode_safetensors(to_torch_state_dict(Small{2}.encoder())));
    SafetensorsFile odd;
    odd.metadata = {{"format", "pt"}, {"note", "caf\xc3\xa9 \"quoted\""}};
    odd.tensors["scalar"] = {"I64", {}, Bytes(8, 3)};
    odd.tensors["empty"] = {"F32", {0, 3}, {}};
    odd.tensors["half"] = {"F16", {2, 2}, Bytes{0, 60, 0, 188, 0, 0, 255, 123}};
    write(root / "safetensors" / "odd_tensors.safetensors", encode_safetensors(odd));

    // PNG: gray and RGB as save_png writes them, and a cut one.
    std::vector<std::uint8_t> pixels(4 * 3 * 3);
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::uint8_t(i * 29 + 3);
    fs::create_directories(root / "png");
    save_png(root / "png" / "gray_4x3.png", 4, 3, 1, std::span(pixels).first(12));
    save_png(root / "png" / "rgb_4x3.png", 4, 3, 3, pixels);
    std::ifstream rgb(root / "png" / "rgb_4x3.png", std::ios::binary);
    const Bytes whole{std::istreambuf_iterator<char>(rgb), std::istreambuf_iterator<char>()};
    write(root / "png" / "cut_rgb_4x3.png", Bytes(whole.begin(), whole.begin() + std::ptrdiff_t(whole.size() / 2)));
    return 0;
}
