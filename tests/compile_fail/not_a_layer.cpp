// expect: (template constraint failure|constraints not satisfied).*Sequential
// expect: (does not satisfy 'SequentialEntry'|SequentialEntry<Entries>)
// Something that is not a layer in a layer list.
#include <latent/latent.hpp>

using Broken = latent::Sequential<latent::Dense<4, 3>, int>;

int main() { return int(Broken::depth); }
