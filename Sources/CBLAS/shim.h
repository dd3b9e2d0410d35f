// Only the declarations of OpenBLAS's CBLAS interface: nothing is linked here.
// Tensor/BLAS/OpenBLASLoader.swift dlopens the library after choosing its kernel.
#include <cblas.h>
