// placeholder until the library's sources land
namespace isign::registry {}
