//go:build race

package load

// raceEnabled is true under the race detector, which slows every copy
// several times over: timing bounds that assume sub-millisecond service
// times are then checked only for direction, not to the percent.
const raceEnabled = true
