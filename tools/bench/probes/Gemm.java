import jdk.incubator.vector.*;
public class Gemm {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
  static final int MR=8, NR=32; static int KC=Integer.getInteger("kc",256);
  // a: packed [M/MR][K][MR]; b: packed [N/NR][K][NR]; c: [M][N] row-major (N = ldc), partial N panel handled by masked copy
  static void kernel(float[] a, int aoff, float[] b, int boff, int K, float[] c, int coff, int ldc, int ncols, boolean accumulate) {
    FloatVector c00=FloatVector.zero(S),c01=c00,c10=c00,c11=c00,c20=c00,c21=c00,c30=c00,c31=c00,c40=c00,c41=c00,c50=c00,c51=c00,c60=c00,c61=c00,c70=c00,c71=c00;
    if (accumulate && ncols==NR) { int o=coff;
      c00=FloatVector.fromArray(S,c,o); c01=FloatVector.fromArray(S,c,o+16); o+=ldc;
      c10=FloatVector.fromArray(S,c,o); c11=FloatVector.fromArray(S,c,o+16); o+=ldc;
      c20=FloatVector.fromArray(S,c,o); c21=FloatVector.fromArray(S,c,o+16); o+=ldc;
      c30=FloatVector.fromArray(S,c,o); c31=FloatVector.fromArray(S,c,o+16); o+=ldc;
      c40=FloatVector.fromArray(S,c,o); c41=FloatVector.fromArray(S,c,o+16); o+=ldc;
      c50=FloatVector.fromArray(S,c,o); c51=FloatVector.fromArray(S,c,o+16); o+=ldc;
      c60=FloatVector.fromArray(S,c,o); c61=FloatVector.fromArray(S,c,o+16); o+=ldc;
      c70=FloatVector.fromArray(S,c,o); c71=FloatVector.fromArray(S,c,o+16);
    }
    for (int k=0;k<K;k++) {
      int bo=boff+k*NR; int ao=aoff+k*MR;
      FloatVector b0=FloatVector.fromArray(S,b,bo), b1=FloatVector.fromArray(S,b,bo+16);
      FloatVector x;
      x=FloatVector.broadcast(S,a[ao]);   c00=x.fma(b0,c00); c01=x.fma(b1,c01);
      x=FloatVector.broadcast(S,a[ao+1]); c10=x.fma(b0,c10); c11=x.fma(b1,c11);
      x=FloatVector.broadcast(S,a[ao+2]); c20=x.fma(b0,c20); c21=x.fma(b1,c21);
      x=FloatVector.broadcast(S,a[ao+3]); c30=x.fma(b0,c30); c31=x.fma(b1,c31);
      x=FloatVector.broadcast(S,a[ao+4]); c40=x.fma(b0,c40); c41=x.fma(b1,c41);
      x=FloatVector.broadcast(S,a[ao+5]); c50=x.fma(b0,c50); c51=x.fma(b1,c51);
      x=FloatVector.broadcast(S,a[ao+6]); c60=x.fma(b0,c60); c61=x.fma(b1,c61);
      x=FloatVector.broadcast(S,a[ao+7]); c70=x.fma(b0,c70); c71=x.fma(b1,c71);
    }
    if (ncols==NR) {
      c00.intoArray(c,coff); c01.intoArray(c,coff+16); coff+=ldc;
      c10.intoArray(c,coff); c11.intoArray(c,coff+16); coff+=ldc;
      c20.intoArray(c,coff); c21.intoArray(c,coff+16); coff+=ldc;
      c30.intoArray(c,coff); c31.intoArray(c,coff+16); coff+=ldc;
      c40.intoArray(c,coff); c41.intoArray(c,coff+16); coff+=ldc;
      c50.intoArray(c,coff); c51.intoArray(c,coff+16); coff+=ldc;
      c60.intoArray(c,coff); c61.intoArray(c,coff+16); coff+=ldc;
      c70.intoArray(c,coff); c71.intoArray(c,coff+16);
    } else {
      float[] t=new float[MR*NR];
      c00.intoArray(t,0);c01.intoArray(t,16);c10.intoArray(t,32);c11.intoArray(t,48);c20.intoArray(t,64);c21.intoArray(t,80);c30.intoArray(t,96);c31.intoArray(t,112);
      c40.intoArray(t,128);c41.intoArray(t,144);c50.intoArray(t,160);c51.intoArray(t,176);c60.intoArray(t,192);c61.intoArray(t,208);c70.intoArray(t,224);c71.intoArray(t,240);
      if(accumulate) { for(int r=0;r<MR;r++) for(int j=0;j<ncols;j++) c[coff+r*ldc+j]+=t[r*NR+j]; }
      else for(int r=0;r<MR;r++) System.arraycopy(t,r*NR,c,coff+r*ldc,ncols);
    }
  }
  static void gemm(float[] ap, float[] bp, float[] c, int M, int N, int K, int mFrom, int mTo) {
    int panels=(N+NR-1)/NR;
    for (int k0=0;k0<K;k0+=KC) { int kc=Math.min(KC,K-k0);
    for (int p=0;p<panels;p++) {
      int ncols=Math.min(NR,N-p*NR);
      for (int mb=mFrom; mb<mTo; mb+=MR) kernel(ap, mb*K+k0*MR, bp, p*K*NR+k0*NR, kc, c, mb*N+p*NR, N, ncols, k0>0);
    }}
  }
  static double bench(Runnable r, int n, int w){ for(int i=0;i<w;i++) r.run(); double[] t=new double[n]; for(int i=0;i<n;i++){long s=System.nanoTime(); r.run(); t[i]=(System.nanoTime()-s)/1e6;} java.util.Arrays.sort(t); return t[n/2]; }
  public static void main(String[] args) throws Exception {
    int[][] shapes={{512,4608,49},{64,256,3136},{64,576,3136},{256,64,3136},{256,2304,196},{2048,512,49},{128,1152,784}};
    java.util.concurrent.ExecutorService ex=java.util.concurrent.Executors.newFixedThreadPool(1);
    for (int[] s: shapes) {
      int M=s[0],K=s[1],N=s[2]; int panels=(N+NR-1)/NR;
      float[] ap=new float[M*K], bp=new float[panels*K*NR], c=new float[M*N];
      java.util.Random r=new java.util.Random(1); for(int i=0;i<ap.length;i++) ap[i]=r.nextFloat(); for(int i=0;i<bp.length;i++) bp[i]=r.nextFloat();
      double t1=bench(()->gemm(ap,bp,c,M,N,K,0,M),30,300);
      double t2=bench(()->{ var f=ex.submit(()->gemm(ap,bp,c,M,N,K,M/2,M)); gemm(ap,bp,c,M,N,K,0,M/2); try{f.get();}catch(Exception e){throw new RuntimeException(e);} },30,300);
      double gf=2.0*M*N*K/1e9;
      System.out.printf("M%d K%d N%d: 1 thread %.3f ms (%.1f GFLOPS)  2 threads %.3f ms (%.1f GFLOPS)%n",M,K,N,t1,gf/t1*1e3,t2,gf/t2*1e3);
    }
    ex.shutdown();
  }
}
