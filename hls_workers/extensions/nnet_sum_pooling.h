#ifndef NNET_SUM_POOLING_H_
#define NNET_SUM_POOLING_H_

#include "nnet_common.h"

namespace nnet {

// Global sum over the set axis of a flat channels-last array data[n_in * n_filt] (item jj, feature ff at
// data[jj * n_filt + ff]), as a DeepSets aggregation. Semantics kept simple on purpose, so the numpy
// emulator reproduces them bit for bit: per feature, the accumulator (accum_t) starts at 0 and adds the
// items in order, each partial sum held in accum_t (its rounding and overflow modes); the total is then
// converted once to res_T. io_parallel only.
struct sum_pooling1d_config {
    static const unsigned n_in = 10;
    static const unsigned n_filt = 4;
    static const unsigned reuse_factor = 1;
    typedef float accum_t;
};

template <class data_T, class res_T, typename CONFIG_T>
void global_sum_pooling1d(data_T data[CONFIG_T::n_in * CONFIG_T::n_filt], res_T res[CONFIG_T::n_filt]) {
    #pragma HLS PIPELINE II=CONFIG_T::reuse_factor
    #pragma HLS ARRAY_PARTITION variable=data complete
    #pragma HLS ARRAY_PARTITION variable=res complete

SumFeatures:
    for (unsigned ff = 0; ff < CONFIG_T::n_filt; ff++) {
        typename CONFIG_T::accum_t acc = 0;
    SumItems:
        for (unsigned jj = 0; jj < CONFIG_T::n_in; jj++) {
            acc += data[jj * CONFIG_T::n_filt + ff];
        }
        res[ff] = (res_T)acc;
    }
}

} // namespace nnet

#endif
