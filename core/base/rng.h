/*
 * rng: a small seeded generator (splitmix64 to seed, xoshiro256** to draw),
 * so every random choice in the engine, the policies, the generator and the
 * simulator is reproducible from a seed on every platform.
 */
#ifndef LV_RNG_H
#define LV_RNG_H

#include <stdint.h>

struct lv_rng {
	uint64_t s[4];
};

static inline uint64_t lv_rng_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void lv_rng_seed(struct lv_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = lv_rng_splitmix(&seed);
}

static inline uint64_t lv_rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t lv_rng_next(struct lv_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = lv_rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = lv_rng_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, 1). */
static inline double lv_rng_uniform(struct lv_rng *r)
{
	return (double)(lv_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [lo, hi). */
static inline double lv_rng_range(struct lv_rng *r, double lo, double hi)
{
	return lo + (hi - lo) * lv_rng_uniform(r);
}

/* Uniform integer in [0, n), n > 0, without modulo bias. */
static inline uint64_t lv_rng_below(struct lv_rng *r, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = lv_rng_next(r);
	while (x >= limit);
	return x % n;
}

#endif
