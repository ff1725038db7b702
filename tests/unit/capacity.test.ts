import { describe, expect, it } from 'vitest'
import { bookingsToPromote, seatsLeft, statusForNewBooking, waitlistNumber } from '../../server/domain/capacity.ts'

describe('capacity and waiting list', () => {
  it('gives a seat while confirmed bookings are below capacity', () => {
    expect(statusForNewBooking(10, 0)).toBe('confirmed')
    expect(statusForNewBooking(10, 9)).toBe('confirmed')
    expect(statusForNewBooking(10, 10)).toBe('waitlisted')
    expect(statusForNewBooking(10, 12)).toBe('waitlisted')
    expect(statusForNewBooking(0, 0)).toBe('waitlisted')
  })

  it('does not let a new booking jump the queue while people wait for a free seat', () => {
    expect(statusForNewBooking(10, 9, 1)).toBe('waitlisted')
    expect(statusForNewBooking(10, 9, 0)).toBe('confirmed')
  })

  it('derives seats left and never goes below zero', () => {
    expect(seatsLeft(10, 3)).toBe(7)
    expect(seatsLeft(10, 10)).toBe(0)
    expect(seatsLeft(8, 10)).toBe(0)
  })

  it('promotes the first in line, as many as there are free seats', () => {
    expect(bookingsToPromote(10, 9, [4, 5, 6])).toEqual([4])
    expect(bookingsToPromote(10, 7, [4, 5])).toEqual([4, 5])
    expect(bookingsToPromote(10, 10, [4, 5])).toEqual([])
    expect(bookingsToPromote(5, 8, [4])).toEqual([])
  })

  it('numbers the waiting list from 1 in queue order', () => {
    const queue = [{ id: 11 }, { id: 14 }, { id: 20 }]
    expect(waitlistNumber(queue, b => b.id === 11)).toBe(1)
    expect(waitlistNumber(queue, b => b.id === 20)).toBe(3)
    expect(waitlistNumber(queue, b => b.id === 99)).toBeNull()
  })
})
