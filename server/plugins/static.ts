import { resolve } from 'node:path'
import fastifyStatic from '@fastify/static'
import fp from 'fastify-plugin'
import { projectRoot as root } from '../paths.ts'

const dkfdsDist = resolve(root, 'node_modules/dkfds/dist')

/** Our own CSS, JS and images under /static, the design system under /static/dkfds, and jsQR. */
export default fp(async (fastify) => {
  const maxAge = fastify.config.isProduction ? '1d' : 0
  await fastify.register(fastifyStatic, { root: resolve(root, 'public'), prefix: '/static/', maxAge })
  await fastify.register(fastifyStatic, {
    root: dkfdsDist,
    prefix: '/static/dkfds/',
    decorateReply: false,
    maxAge,
    allowedPath: (path) => /^\/(css|fonts|img|js)\//.test(path)
  })
  // The QR decoder the check-in page loads when the camera is used.
  await fastify.register(fastifyStatic, {
    root: resolve(root, 'node_modules/jsqr/dist'),
    prefix: '/static/vendor/jsqr/',
    decorateReply: false,
    maxAge,
    allowedPath: (path) => path === '/jsQR.js'
  })
}, { name: 'static', fastify: '5.x', dependencies: ['config'] })
